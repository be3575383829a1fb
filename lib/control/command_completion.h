// Completion of command words at a prompt, from the command list the daemon
// publishes in its `help` reply (CommandTable::HelpReply()), so a client
// completes whatever commands the daemon it talks to has, and nothing else.
#ifndef ZCSWITCH_LIB_CONTROL_COMMAND_COMPLETION_H_
#define ZCSWITCH_LIB_CONTROL_COMMAND_COMPLETION_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zcswitch {

class CommandCompletion {
 public:
  // `commands`: each command's fixed words, e.g. {"show", "port", "stats"}.
  explicit CommandCompletion(std::vector<std::vector<std::string>> commands)
      : commands_(std::move(commands)) {}

  // From the `data` of a `help` reply; InvalidArgument if it has no
  // command list in the expected shape.
  static absl::StatusOr<CommandCompletion> FromHelp(const nlohmann::json& data);

  // The words that may come next after the whole words `typed`, starting
  // with `partial`: sorted, without repeats. Empty once `typed` is a whole
  // command (its arguments are not known here) or matches none.
  std::vector<std::string> Next(absl::Span<const std::string> typed,
                                std::string_view partial) const;

 private:
  std::vector<std::vector<std::string>> commands_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_COMMAND_COMPLETION_H_
