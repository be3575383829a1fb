#include "lib/control/command_table.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zcswitch {

void CommandTable::Add(std::string words, ArgList args, std::string help,
                       CommandHandler handler) {
  commands_.push_back(
      {{absl::StrSplit(words, ' ', absl::SkipEmpty()), args.Usage(), std::move(help)},
       std::move(args), std::move(handler)});
}

absl::StatusOr<CommandReply> CommandTable::Run(absl::Span<const std::string> argv) const {
  const Command* best = nullptr;
  for (const Command& c : commands_) {
    const std::vector<std::string>& words = c.info.words;
    if (words.size() > argv.size()) continue;
    if (!std::equal(words.begin(), words.end(), argv.begin())) continue;
    if (best == nullptr || words.size() > best->info.words.size()) best = &c;
  }
  if (best == nullptr) {
    // `show port`: the start of some commands, so those are what to show.
    const std::string started = argv.empty() ? "" : Help(argv);
    if (!started.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "incomplete command \"", absl::StrJoin(argv, " "), "\"; it goes on as:\n", started));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", absl::StrJoin(argv, " "),
                                                   "\"; commands are:\n", Help()));
  }
  absl::StatusOr<CommandArgs> args = best->args.Parse(argv.subspan(best->info.words.size()));
  if (args.ok()) return best->handler(*args);
  // A name that names nothing is answer enough; anything else shows how.
  if (args.status().code() != absl::StatusCode::kInvalidArgument) return args.status();
  // Commands that go on from these words (`set zcopy` and `set zcopy
  // max_inflight`) are other ways the words could have gone on.
  std::string usage = Syntax(best->info);
  for (const Command& c : commands_) {
    if (&c != best && c.StartsWith(best->info.words)) {
      absl::StrAppend(&usage, "\n   or: ", Syntax(c.info));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(args.status().message(), "; usage: ", usage));
}

std::string CommandTable::Syntax(const CommandInfo& i) {
  return absl::StrCat(absl::StrJoin(i.words, " "), i.usage.empty() ? "" : " ", i.usage);
}

bool CommandTable::Command::StartsWith(absl::Span<const std::string> prefix) const {
  return prefix.size() <= info.words.size() &&
         std::equal(prefix.begin(), prefix.end(), info.words.begin());
}

std::string CommandTable::Help(absl::Span<const std::string> prefix) const {
  std::string out;
  for (const Command& c : commands_) {
    if (!c.StartsWith(prefix)) continue;
    absl::StrAppend(&out, absl::StrFormat("  %-32s %s\n", Syntax(c.info), c.info.help));
  }
  return out;
}

std::vector<CommandTable::CommandInfo> CommandTable::Commands() const {
  std::vector<CommandInfo> out;
  for (const Command& c : commands_) out.push_back(c.info);
  return out;
}

CommandReply CommandTable::HelpReply(absl::Span<const std::string> prefix) const {
  nlohmann::json list = nlohmann::json::array();
  for (const Command& c : commands_) {
    if (!c.StartsWith(prefix)) continue;
    list.push_back({{"words", c.info.words},
                    {"usage", c.info.usage},
                    {"help", c.info.help},
                    {"args", c.args.Describe()}});
  }
  return CommandReply{{{"commands", std::move(list)}}, Help(prefix)};
}

}  // namespace zcswitch
