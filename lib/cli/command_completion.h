// Completion of command words at a prompt, from the command list the daemon
// publishes in its `help` reply (CommandTable::HelpReply()), so a client
// completes whatever commands the daemon it talks to has, and nothing else:
// first the commands' fixed words, then, from each command's argument
// description (ArgList::Describe()), the keywords it takes and the values of
// arguments with fixed choices (`set fwd <TAB>` offers the modes).
#ifndef ZCSWITCH_LIB_CLI_COMMAND_COMPLETION_H_
#define ZCSWITCH_LIB_CLI_COMMAND_COMPLETION_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zcswitch {

class CommandCompletion {
 public:
  // One argument as the help reply describes it.
  struct Arg {
    std::string name;
    std::string form;  // "required", "optional", "keyword" or "rest"
    std::vector<std::string> choices;
  };
  struct Command {
    std::vector<std::string> words;  // e.g. {"show", "port", "stats"}
    std::vector<Arg> args;
  };

  explicit CommandCompletion(std::vector<Command> commands) : commands_(std::move(commands)) {}

  // From the `data` of a `help` reply; InvalidArgument if it has no
  // command list in the expected shape.
  static absl::StatusOr<CommandCompletion> FromHelp(const nlohmann::json& data);

  // The words that may come next after the whole words `typed`, starting
  // with `partial`: sorted, without repeats. Past a command's fixed words,
  // its keywords not yet given and the choices of the argument a word would
  // fill; nothing for arguments without fixed choices, or words matching no
  // command.
  std::vector<std::string> Next(absl::Span<const std::string> typed,
                                std::string_view partial) const;

 private:
  // What may follow `args_typed`, the words typed after `c`'s fixed words.
  static std::vector<std::string> ArgWords(const Command& c,
                                           absl::Span<const std::string> args_typed);

  std::vector<Command> commands_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CLI_COMMAND_COMPLETION_H_
