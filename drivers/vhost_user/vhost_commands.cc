#include "drivers/vhost_user/vhost_commands.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "drivers/vhost_user/vhost_user_port.h"

namespace zcswitch {
namespace {

CommandReply VhostInfo(const VhostUserPort& port) {
  const VhostUserDevice& dev = port.device();
  const std::vector<std::string> features = FeatureNames(dev.features());
  std::string text = absl::StrFormat(
      "port %s: vhost-user %s on %s, %s\n  features 0x%x: %s\n  protocol features 0x%x\n",
      port.name(), port.client() ? "client" : "server", port.socket_path(),
      port.connected() ? "connected" : "no front-end", dev.features(),
      features.empty() ? "(none)" : absl::StrJoin(features, " "), dev.protocol_features());
  absl::StrAppend(&text, absl::StrFormat("  %-6s %-4s %5s %5s %7s %7s %4s\n", "vring", "dir", "size",
                                         "base", "enabled", "started", "live"));
  nlohmann::json vrings = nlohmann::json::array();
  for (uint16_t i = 0; i < dev.num_vrings(); ++i) {
    const VringConfig& v = dev.vring(i);
    // Even vrings carry packets to the guest, odd ones from it.
    const char* dir = i % 2 == 0 ? "rx" : "tx";
    vrings.push_back({{"index", i},
                      {"direction", dir},
                      {"size", v.size},
                      {"base", v.base},
                      {"enabled", v.enabled},
                      {"started", v.started},
                      {"live", dev.live(i)}});
    absl::StrAppend(&text, absl::StrFormat("  %-6d %-4s %5d %5d %7s %7s %4s\n", i, dir, v.size,
                                           v.base, v.enabled ? "yes" : "no",
                                           v.started ? "yes" : "no", dev.live(i) ? "yes" : "no"));
  }
  nlohmann::json regions = nlohmann::json::array();
  if (const GuestMemory* memory = dev.memory(); memory != nullptr) {
    absl::StrAppend(&text, absl::StrFormat("  memory: %d regions\n", memory->num_regions()));
    for (size_t i = 0; i < memory->num_regions(); ++i) {
      const MemoryRegionDesc& r = memory->region(i);
      regions.push_back({{"guest_phys_addr", r.guest_phys_addr},
                         {"size", r.memory_size},
                         {"userspace_addr", r.userspace_addr}});
      absl::StrAppend(&text, absl::StrFormat("    gpa 0x%x size %d MiB (front-end va 0x%x)\n",
                                             r.guest_phys_addr, r.memory_size >> 20,
                                             r.userspace_addr));
    }
  } else {
    absl::StrAppend(&text, "  memory: no table\n");
  }
  nlohmann::json data = {{"port", port.name()},
                         {"mode", port.client() ? "client" : "server"},
                         {"socket", port.socket_path()},
                         {"connected", port.connected()},
                         {"features", dev.features()},
                         {"feature_names", features},
                         {"protocol_features", dev.protocol_features()},
                         {"vrings", vrings},
                         {"memory_regions", regions}};
  return CommandReply{std::move(data), std::move(text)};
}

}  // namespace

void AddVhostCommands(CommandTable& table, const Bridge* bridge) {
  table.Add("show vhost",
            ArgList().Required("NAME", PortNameArg("NAME", [bridge] { return bridge->PortNames(); })),
            "a vhost-user port's connection, features, vrings and memory regions",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::string& name = args.Word("NAME");
              const auto* vhost = dynamic_cast<const VhostUserPort*>(bridge->FindPort(name));
              if (vhost == nullptr) {
                return absl::InvalidArgumentError(
                    absl::StrFormat("port %s is not a vhost-user port", name));
              }
              return VhostInfo(*vhost);
            });
}

}  // namespace zcswitch
