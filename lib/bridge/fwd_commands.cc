#include "lib/bridge/fwd_commands.h"

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "lib/switch/fwd_mode.h"

namespace zcswitch {

void AddFwdCommands(CommandTable& table, Bridge* bridge) {
  table.Add("start", ArgList(), "start forwarding (after stop)",
            [bridge](const CommandArgs&) -> absl::StatusOr<CommandReply> {
              ZC_RETURN_IF_ERROR(bridge->StartForwarding());
              return CommandReply{{{"forwarding", true}}, "forwarding started\n"};
            });
  table.Add("stop", ArgList(), "stop forwarding: the lcores stop polling; ports stay up",
            [bridge](const CommandArgs&) -> absl::StatusOr<CommandReply> {
              if (!bridge->forwarding()) return absl::FailedPreconditionError("not forwarding");
              bridge->StopForwarding();
              return CommandReply{{{"forwarding", false}}, "forwarding stopped\n"};
            });
  std::vector<std::string> modes;
  for (const FwdMode* mode : FwdModes()) modes.emplace_back(mode->name);
  table.Add("set fwd", ArgList().Required("MODE", ChoiceArg("mode", modes)),
            "switch the forwarding mode while running",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::string& mode = args.Word("MODE");
              ZC_RETURN_IF_ERROR(bridge->SetMode(mode));
              std::fprintf(stderr, "zcswitchd: forwarding mode %s\n", mode.c_str());
              return CommandReply{{{"mode", mode}}, absl::StrFormat("forwarding mode: %s\n", mode)};
            });
  table.Add("show fwd", ArgList(), "the forwarding mode, and whether forwarding runs",
            [bridge](const CommandArgs&) -> absl::StatusOr<CommandReply> {
              const std::string mode(bridge->mode().name);
              const bool running = bridge->forwarding();
              return CommandReply{{{"mode", mode}, {"forwarding", running}},
                                  absl::StrFormat("forwarding mode: %s%s\n", mode,
                                                  running ? "" : " (stopped)")};
            });
}

}  // namespace zcswitch
