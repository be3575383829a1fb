// The commands the daemon answers, as one table: each is a fixed sequence of
// words ("show port stats"), a usage line for its arguments, a help line and
// a handler. It is the one command parser: the control socket dispatches
// through it, and zcswitch-cli and `zcswitchd -i` send their words there, so
// a command is declared once, next to the module it belongs to.
//
// Run() picks the command with the longest matching word prefix and gives its
// handler the words that follow. Handlers run on the control thread.
// HelpReply() is what clients learn the commands from (help text, completion).
#ifndef ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_
#define ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zcswitch {

struct CommandReply {
  nlohmann::json data;  // for scripts (zcswitch-cli --json)
  std::string text;     // for people: aligned, read at a glance
};

using CommandHandler =
    std::function<absl::StatusOr<CommandReply>(absl::Span<const std::string> args)>;

class CommandTable {
 public:
  // `words`: space-separated fixed words; `usage`: what may follow them.
  void Add(std::string words, std::string usage, std::string help, CommandHandler handler);

  // InvalidArgument, naming the words and listing what exists, when no
  // command matches; the handler's own status otherwise.
  absl::StatusOr<CommandReply> Run(absl::Span<const std::string> argv) const;

  // One line per command whose words start with `prefix` (every command
  // for none): words, usage, help.
  std::string Help(absl::Span<const std::string> prefix = {}) const;

  struct CommandInfo {
    std::vector<std::string> words;
    std::string usage;
    std::string help;
  };
  // Every command, in the order they were added.
  std::vector<CommandInfo> Commands() const;

  // The `help [WORD...]` command's reply: text is Help(prefix); data is
  // {"commands": [{"words": ["show", "port", "stats"], "usage": "[NAME|all]",
  //                "help": "..."}, ...]}.
  CommandReply HelpReply(absl::Span<const std::string> prefix = {}) const;

 private:
  struct Command {
    bool StartsWith(absl::Span<const std::string> prefix) const;

    CommandInfo info;
    CommandHandler handler;
  };
  std::vector<Command> commands_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_
