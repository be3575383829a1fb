// The commands the daemon answers, as one table: each is a fixed sequence of
// words ("show port stats"), its arguments (an ArgList, command_args.h), a
// help line and a handler. It is the one command parser: the control socket
// dispatches through it, and zcswitch-cli and `zcswitchd -i` send their words
// there, so a command is declared once, next to the module it belongs to.
//
// Run() picks the command with the longest matching word prefix, parses the
// words that follow with its ArgList and gives the handler their values; a
// word the ArgList refuses is answered with the problem and the usage (and
// that of the commands going on from the same words), and the handler never
// runs. Handlers run on the control thread. HelpReply() is
// what clients learn the commands from (help text, completion).
#ifndef ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_
#define ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/control/command_args.h"

namespace zcswitch {

struct CommandReply {
  nlohmann::json data;  // for scripts (zcswitch-cli --json)
  std::string text;     // for people: aligned, read at a glance
};

using CommandHandler = std::function<absl::StatusOr<CommandReply>(const CommandArgs& args)>;

class CommandTable {
 public:
  // `words`: space-separated fixed words; `args`: what may follow them.
  void Add(std::string words, ArgList args, std::string help, CommandHandler handler);

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
  //                "help": "...", "args": ArgList::Describe()}, ...]}.
  CommandReply HelpReply(absl::Span<const std::string> prefix = {}) const;

 private:
  // "fdb add MAC [vlan N] PORT".
  static std::string Syntax(const CommandInfo& info);

  struct Command {
    bool StartsWith(absl::Span<const std::string> prefix) const;

    CommandInfo info;
    ArgList args;
    CommandHandler handler;
  };
  std::vector<Command> commands_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_COMMAND_TABLE_H_
