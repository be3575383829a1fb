#include "lib/bridge/port_commands.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "lib/control/port_spec.h"

namespace zcswitch {
namespace {

// The ports `port start|stop NAME|all` changes, all of them in state
// `now_started` (true for stop): the named port, refused if it is not, or
// for "all" every port that is (perhaps none).
absl::StatusOr<std::vector<Port*>> PortsToSwitch(const Bridge& bridge, const std::string& name,
                                                 bool now_started) {
  if (name == "all") {
    std::vector<Port*> ports;
    for (Port* port : bridge.Ports()) {
      if (port->enabled() == now_started) ports.push_back(port);
    }
    return ports;
  }
  Port* port = bridge.FindPort(name);
  if (port == nullptr) return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", name));
  if (port->enabled() != now_started) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "port %s is already %s", port->name(), now_started ? "stopped" : "started"));
  }
  return std::vector<Port*>{port};
}

// The reply once `ports` are in state `started`.
CommandReply PortsSwitched(absl::string_view arg, const std::vector<Port*>& ports, bool started) {
  const char* done = started ? "started" : "stopped";
  if (arg != "all") {
    return CommandReply{{{"port", arg}, {"started", started}},
                        absl::StrFormat("port %s %s\n", arg, done)};
  }
  nlohmann::json names = nlohmann::json::array();
  std::string text;
  for (const Port* port : ports) {
    names.push_back(port->name());
    absl::StrAppend(&text, absl::StrFormat("port %s %s\n", port->name(), done));
  }
  if (ports.empty()) text = absl::StrFormat("every port is already %s\n", done);
  return CommandReply{{{"ports", names}, {"started", started}}, text};
}

}  // namespace

void AddPortCommands(CommandTable& table, Bridge* bridge) {
  auto names = [bridge] { return bridge->PortNames(); };
  const ArgList one_port = ArgList().Required("NAME", PortNameArg("NAME", names));
  const ArgList some_ports = ArgList().Required("NAME", PortNameArg("NAME", names, /*all=*/true));
  // Each port type has words of its own; a refusal lists every type's usage.
  table.Add("port add", ArgList().Rest("WORDS", "NAME TYPE ARG [OPT...]"),
            "add a vhost-user SOCKET or ethdev DEVARGS port while forwarding",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              ZC_ASSIGN_OR_RETURN(PortConfig config,
                                  ParsePortSpec(args.Rest("WORDS"), bridge->drivers()));
              ZC_ASSIGN_OR_RETURN(const uint16_t id, bridge->AddPort(config));
              const std::string description = bridge->FindPort(config.name)->Describe();
              std::fprintf(stderr, "zcswitchd: port %s added: %s\n", config.name.c_str(),
                           description.c_str());
              return CommandReply{{{"port", config.name}, {"id", id}},
                                  absl::StrFormat("port %s added (id %d): %s\n", config.name, id,
                                                  description)};
            });
  table.Add("port del", one_port, "remove a port while forwarding (its FDB entries go with it)",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::string& name = args.Word("NAME");
              ZC_ASSIGN_OR_RETURN(const size_t forgotten, bridge->RemovePort(name));
              std::fprintf(stderr, "zcswitchd: port %s removed\n", name.c_str());
              return CommandReply{
                  {{"port", name}, {"removed", true}, {"fdb_entries_removed", forgotten}},
                  absl::StrFormat("port %s removed (%d FDB entries with it)\n", name, forgotten)};
            });
  table.Add("port stop", some_ports, "stop a port: not polled, traffic to it dropped as link_down",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::string& name = args.Word("NAME");
              ZC_ASSIGN_OR_RETURN(std::vector<Port*> ports,
                                  PortsToSwitch(*bridge, name, /*now_started=*/true));
              bridge->StopPorts(ports);
              return PortsSwitched(name, ports, false);
            });
  table.Add("port start", some_ports, "start a stopped port",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::string& name = args.Word("NAME");
              ZC_ASSIGN_OR_RETURN(std::vector<Port*> ports,
                                  PortsToSwitch(*bridge, name, /*now_started=*/false));
              // Every port is tried; one that fails to start does not keep
              // the others down.
              const std::vector<absl::Status> results = bridge->StartPorts(ports);
              absl::Status failed;
              std::vector<std::string> errors;
              std::vector<std::string> started;
              for (size_t i = 0; i < ports.size(); ++i) {
                if (results[i].ok()) {
                  started.push_back(ports[i]->name());
                  continue;
                }
                if (failed.ok()) failed = results[i];
                errors.emplace_back(results[i].message());
              }
              if (failed.ok()) return PortsSwitched(name, ports, true);
              if (ports.size() == 1) return failed;
              return absl::Status(failed.code(),
                                  absl::StrCat(absl::StrJoin(errors, "; "), "; started: ",
                                               started.empty() ? "none"
                                                               : absl::StrJoin(started, " ")));
            });
}

}  // namespace zcswitch
