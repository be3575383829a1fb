#include "lib/control/command_completion.h"

#include <algorithm>

#include "absl/status/status.h"

namespace zcswitch {

absl::StatusOr<CommandCompletion> CommandCompletion::FromHelp(const nlohmann::json& data) {
  if (!data.is_object() || !data.contains("commands") || !data["commands"].is_array()) {
    return absl::InvalidArgumentError("help reply has no \"commands\" list");
  }
  std::vector<std::vector<std::string>> commands;
  for (const nlohmann::json& c : data["commands"]) {
    if (!c.is_object() || !c.contains("words") || !c["words"].is_array()) {
      return absl::InvalidArgumentError("help reply: a command without \"words\"");
    }
    std::vector<std::string> words;
    for (const nlohmann::json& w : c["words"]) {
      if (!w.is_string()) return absl::InvalidArgumentError("help reply: a word is not a string");
      words.push_back(w.get<std::string>());
    }
    commands.push_back(std::move(words));
  }
  return CommandCompletion(std::move(commands));
}

std::vector<std::string> CommandCompletion::Next(absl::Span<const std::string> typed,
                                                 std::string_view partial) const {
  std::vector<std::string> out;
  for (const std::vector<std::string>& words : commands_) {
    if (words.size() <= typed.size()) continue;
    if (!std::equal(typed.begin(), typed.end(), words.begin())) continue;
    const std::string& next = words[typed.size()];
    if (next.starts_with(partial)) out.push_back(next);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace zcswitch
