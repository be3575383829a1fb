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
  table.Add("start", "", "start forwarding (after stop)",
            [bridge](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: start");
              ZC_RETURN_IF_ERROR(bridge->StartForwarding());
              return CommandReply{{{"forwarding", true}}, "forwarding started\n"};
            });
  table.Add("stop", "", "stop forwarding: the lcores stop polling; ports stay up",
            [bridge](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: stop");
              if (!bridge->forwarding()) return absl::FailedPreconditionError("not forwarding");
              bridge->StopForwarding();
              return CommandReply{{{"forwarding", false}}, "forwarding stopped\n"};
            });
  const std::string modes = FwdModeChoices();
  table.Add("set fwd", modes, "switch the forwarding mode while running",
            [bridge, modes](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (args.size() != 1 || FindFwdMode(args[0]) == nullptr) {
                return absl::InvalidArgumentError(absl::StrCat("usage: set fwd ", modes));
              }
              ZC_RETURN_IF_ERROR(bridge->SetMode(args[0]));
              std::fprintf(stderr, "zcswitchd: forwarding mode %s\n", args[0].c_str());
              return CommandReply{{{"mode", args[0]}},
                                  absl::StrFormat("forwarding mode: %s\n", args[0])};
            });
  table.Add("show fwd", "", "the forwarding mode, and whether forwarding runs",
            [bridge](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: show fwd");
              const std::string mode(bridge->mode().name);
              const bool running = bridge->forwarding();
              return CommandReply{{{"mode", mode}, {"forwarding", running}},
                                  absl::StrFormat("forwarding mode: %s%s\n", mode,
                                                  running ? "" : " (stopped)")};
            });
}

}  // namespace zcswitch
