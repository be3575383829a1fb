#include "lib/control/command_table.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zcswitch {

void CommandTable::Add(std::string words, std::string usage, std::string help,
                       CommandHandler handler) {
  commands_.push_back({absl::StrSplit(words, ' ', absl::SkipEmpty()), std::move(usage),
                       std::move(help), std::move(handler)});
}

absl::StatusOr<CommandReply> CommandTable::Run(absl::Span<const std::string> argv) const {
  const Command* best = nullptr;
  for (const Command& c : commands_) {
    if (c.words.size() > argv.size()) continue;
    if (!std::equal(c.words.begin(), c.words.end(), argv.begin())) continue;
    if (best == nullptr || c.words.size() > best->words.size()) best = &c;
  }
  if (best == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"", absl::StrJoin(argv, " "),
                                                   "\"; commands are:\n", Help()));
  }
  return best->handler(argv.subspan(best->words.size()));
}

std::string CommandTable::Help() const {
  std::string out;
  for (const Command& c : commands_) {
    const std::string syntax =
        absl::StrCat(absl::StrJoin(c.words, " "), c.usage.empty() ? "" : " ", c.usage);
    absl::StrAppend(&out, absl::StrFormat("  %-32s %s\n", syntax, c.help));
  }
  return out;
}

}  // namespace zcswitch
