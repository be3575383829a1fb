#include "lib/cli/command_completion.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zcswitch {
namespace {

absl::StatusOr<std::vector<std::string>> Strings(const nlohmann::json& list,
                                                 absl::string_view what) {
  std::vector<std::string> out;
  if (!list.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("help reply: ", what, " is not a list"));
  }
  for (const nlohmann::json& w : list) {
    if (!w.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("help reply: a ", what, " is not a string"));
    }
    out.push_back(w.get<std::string>());
  }
  return out;
}

}  // namespace

absl::StatusOr<CommandCompletion> CommandCompletion::FromHelp(const nlohmann::json& data) {
  if (!data.is_object() || !data.contains("commands") || !data["commands"].is_array()) {
    return absl::InvalidArgumentError("help reply has no \"commands\" list");
  }
  std::vector<Command> commands;
  for (const nlohmann::json& c : data["commands"]) {
    if (!c.is_object() || !c.contains("words") || !c["words"].is_array()) {
      return absl::InvalidArgumentError("help reply: a command without \"words\"");
    }
    Command& command = commands.emplace_back();
    absl::StatusOr<std::vector<std::string>> words = Strings(c["words"], "word");
    if (!words.ok()) return words.status();
    command.words = *std::move(words);
    // A daemon that describes no arguments still completes its words.
    if (!c.contains("args")) continue;
    if (!c["args"].is_array()) return absl::InvalidArgumentError("help reply: args is not a list");
    for (const nlohmann::json& a : c["args"]) {
      if (!a.is_object() || !a.contains("name") || !a["name"].is_string() ||
          !a.contains("form") || !a["form"].is_string()) {
        return absl::InvalidArgumentError("help reply: an argument without a name and form");
      }
      Arg& arg = command.args.emplace_back();
      arg.name = a["name"].get<std::string>();
      arg.form = a["form"].get<std::string>();
      if (a.contains("choices")) {
        absl::StatusOr<std::vector<std::string>> choices = Strings(a["choices"], "choice");
        if (!choices.ok()) return choices.status();
        arg.choices = *std::move(choices);
      }
    }
  }
  return CommandCompletion(std::move(commands));
}

std::vector<std::string> CommandCompletion::ArgWords(const Command& c,
                                                     absl::Span<const std::string> args_typed) {
  auto keyword = [&](const std::string& word) -> const Arg* {
    for (const Arg& a : c.args) {
      if (a.form == "keyword" && a.name == word) return &a;
    }
    return nullptr;
  };
  // Walk the typed words as the daemon's parser would.
  std::vector<std::string> given;
  size_t next = 0;
  for (size_t i = 0; i < args_typed.size(); ++i) {
    const std::string& word = args_typed[i];
    if (const Arg* k = keyword(word);
        k != nullptr && std::find(given.begin(), given.end(), word) == given.end()) {
      given.push_back(word);
      if (i + 1 == args_typed.size()) return k->choices;  // its value comes next
      ++i;
      continue;
    }
    for (; next < c.args.size(); ++next) {
      const Arg& a = c.args[next];
      if (a.form == "keyword") continue;
      if (a.form == "rest") return {};
      if (a.form == "optional" && !a.choices.empty() &&
          std::find(a.choices.begin(), a.choices.end(), word) == a.choices.end()) {
        continue;
      }
      ++next;
      break;
    }
  }
  std::vector<std::string> out;
  for (const Arg& a : c.args) {
    if (a.form == "keyword" && std::find(given.begin(), given.end(), a.name) == given.end()) {
      out.push_back(a.name);
    }
  }
  // The next positional's choices; past an optional one, the one after too.
  for (size_t i = next; i < c.args.size(); ++i) {
    const Arg& a = c.args[i];
    if (a.form == "keyword") continue;
    if (a.form == "rest") break;
    out.insert(out.end(), a.choices.begin(), a.choices.end());
    if (a.form != "optional") break;
  }
  return out;
}

std::vector<std::string> CommandCompletion::Next(absl::Span<const std::string> typed,
                                                 std::string_view partial) const {
  std::vector<std::string> out;
  const Command* whole = nullptr;  // the longest command whose words were all typed
  for (const Command& c : commands_) {
    const std::vector<std::string>& words = c.words;
    if (words.size() <= typed.size()) {
      if (std::equal(words.begin(), words.end(), typed.begin()) &&
          (whole == nullptr || words.size() > whole->words.size())) {
        whole = &c;
      }
      continue;
    }
    if (!std::equal(typed.begin(), typed.end(), words.begin())) continue;
    const std::string& next = words[typed.size()];
    if (next.starts_with(partial)) out.push_back(next);
  }
  if (whole != nullptr) {
    for (std::string& word : ArgWords(*whole, typed.subspan(whole->words.size()))) {
      if (word.starts_with(partial)) out.push_back(std::move(word));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace zcswitch
