#include "lib/control/command_args.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zcswitch {
namespace {

// "a, b or c".
std::string Alternatives(const std::vector<std::string>& words) {
  if (words.size() < 2) return absl::StrJoin(words, "");
  return absl::StrCat(absl::StrJoin(words.begin(), words.end() - 1, ", "), " or ", words.back());
}

std::optional<uint64_t> Number(absl::string_view word, uint64_t min, uint64_t max) {
  uint64_t v;
  if (!absl::SimpleAtoi(word, &v) || v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace

ArgType WordArg(std::string metavar) {
  return {std::move(metavar), {},
          [](absl::string_view name, absl::string_view word) -> absl::StatusOr<ArgValue> {
            if (word.empty()) return absl::InvalidArgumentError(absl::StrCat(name, " is empty"));
            return std::string(word);
          }};
}

ArgType UintArg(std::string metavar, uint64_t min, uint64_t max) {
  return {std::move(metavar), {},
          [min, max](absl::string_view name, absl::string_view word) -> absl::StatusOr<ArgValue> {
            const std::optional<uint64_t> v = Number(word, min, max);
            if (!v) {
              return absl::InvalidArgumentError(
                  absl::StrFormat("%s needs a number from %d to %d", name, min, max));
            }
            return *v;
          }};
}

ArgType UintListArg(std::string metavar, uint64_t min, uint64_t max) {
  return {std::move(metavar), {},
          [min, max](absl::string_view name, absl::string_view word) -> absl::StatusOr<ArgValue> {
            std::vector<uint64_t> list;
            for (absl::string_view item : absl::StrSplit(word, ',')) {
              const std::optional<uint64_t> v = Number(item, min, max);
              if (!v) {
                return absl::InvalidArgumentError(absl::StrFormat(
                    "%s: \"%s\" is not a number from %d to %d", name, item, min, max));
              }
              if (std::find(list.begin(), list.end(), *v) != list.end()) {
                return absl::InvalidArgumentError(
                    absl::StrFormat("%s: %d listed twice", name, *v));
              }
              list.push_back(*v);
            }
            return list;
          }};
}

ArgType MacArg() {
  return {"MAC", {}, [](absl::string_view, absl::string_view word) -> absl::StatusOr<ArgValue> {
            const std::optional<MacAddr> mac = MacAddr::Parse(word);
            if (!mac || mac->IsMulticast() || mac->IsZero()) {
              return absl::InvalidArgumentError(
                  absl::StrFormat("\"%s\" is not a unicast MAC address", word));
            }
            return *mac;
          }};
}

ArgType ChoiceArg(std::string noun, std::vector<std::string> choices) {
  std::string metavar = absl::StrJoin(choices, "|");
  return {std::move(metavar), choices,
          [noun = std::move(noun), choices](absl::string_view,
                                            absl::string_view word) -> absl::StatusOr<ArgValue> {
            if (std::find(choices.begin(), choices.end(), word) == choices.end()) {
              return absl::InvalidArgumentError(absl::StrFormat(
                  "unknown %s \"%s\" (expected %s)", noun, word, Alternatives(choices)));
            }
            return std::string(word);
          }};
}

ArgType PortNameArg(std::string metavar, std::function<std::vector<std::string>()> names,
                    bool all) {
  return {all ? metavar + "|all" : metavar, {},
          [names = std::move(names), all](absl::string_view,
                                          absl::string_view word) -> absl::StatusOr<ArgValue> {
            if (all && word == "all") return std::string(word);
            const std::vector<std::string> known = names();
            if (word.empty() || std::find(known.begin(), known.end(), word) == known.end()) {
              return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", word));
            }
            return std::string(word);
          }};
}

const std::string& CommandArgs::Word(absl::string_view name) const {
  return std::get<std::string>(values_.at(name));
}

uint64_t CommandArgs::Uint(absl::string_view name) const {
  return std::get<uint64_t>(values_.at(name));
}

const MacAddr& CommandArgs::Mac(absl::string_view name) const {
  return std::get<MacAddr>(values_.at(name));
}

const std::vector<uint64_t>& CommandArgs::UintList(absl::string_view name) const {
  return std::get<std::vector<uint64_t>>(values_.at(name));
}

const std::vector<std::string>& CommandArgs::Rest(absl::string_view name) const {
  return std::get<std::vector<std::string>>(values_.at(name));
}

ArgList& ArgList::Required(std::string name, ArgType type) {
  args_.push_back({std::move(name), std::move(type), Form::kRequired});
  return *this;
}

ArgList& ArgList::Optional(std::string name, ArgType type) {
  args_.push_back({std::move(name), std::move(type), Form::kOptional});
  return *this;
}

ArgList& ArgList::Keyword(std::string name, ArgType type) {
  args_.push_back({std::move(name), std::move(type), Form::kKeyword});
  return *this;
}

ArgList& ArgList::Exclusive(std::vector<std::pair<std::string, ArgType>> keywords) {
  ++groups_;
  for (auto& [name, type] : keywords) {
    args_.push_back({std::move(name), std::move(type), Form::kKeyword, groups_});
  }
  return *this;
}

ArgList& ArgList::Rest(std::string name, std::string metavar) {
  args_.push_back({std::move(name), {std::move(metavar), {}, nullptr}, Form::kRest});
  return *this;
}

ArgList& ArgList::Append(const ArgList& other) {
  const int offset = groups_;
  for (Arg arg : other.args_) {
    if (arg.group > 0) arg.group += offset;
    args_.push_back(std::move(arg));
  }
  groups_ += other.groups_;
  return *this;
}

std::string ArgList::UsageOf(const Arg& arg) const {
  switch (arg.form) {
    case Form::kRequired:
    case Form::kRest:
      return arg.type.metavar;
    case Form::kOptional:
      return absl::StrCat("[", arg.type.metavar, "]");
    case Form::kKeyword:
      break;
  }
  return absl::StrCat(arg.name, " ", arg.type.metavar);
}

std::string ArgList::Usage() const {
  std::vector<std::string> parts;
  for (size_t i = 0; i < args_.size(); ++i) {
    const Arg& arg = args_[i];
    if (arg.form != Form::kKeyword) {
      parts.push_back(UsageOf(arg));
      continue;
    }
    if (arg.group == 0) {
      parts.push_back(absl::StrCat("[", UsageOf(arg), "]"));
      continue;
    }
    // A group is declared together: its keywords are consecutive.
    std::vector<std::string> members;
    while (i < args_.size() && args_[i].form == Form::kKeyword && args_[i].group == arg.group) {
      members.push_back(UsageOf(args_[i++]));
    }
    --i;
    parts.push_back(absl::StrCat("[", absl::StrJoin(members, " | "), "]"));
  }
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<CommandArgs> ArgList::Parse(absl::Span<const std::string> words) const {
  CommandArgs out;
  size_t next = 0;  // the first positional argument not yet filled or passed
  auto keyword = [&](const std::string& word) -> const Arg* {
    for (const Arg& arg : args_) {
      if (arg.form == Form::kKeyword && arg.name == word && !out.Has(arg.name)) return &arg;
    }
    return nullptr;
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    // A keyword's name with no value after it fills a positional argument
    // still missing instead (`port add p ethdev vlan`: devargs "vlan").
    const Arg* k = keyword(word);
    if (k != nullptr && i + 1 == words.size()) {
      for (size_t j = next; j < args_.size(); ++j) {
        if (args_[j].form == Form::kRequired) {
          k = nullptr;
          break;
        }
      }
    }
    if (k != nullptr) {
      for (const Arg& other : args_) {
        if (k->group > 0 && other.group == k->group && out.Has(other.name)) {
          return absl::InvalidArgumentError(
              absl::StrFormat("%s and %s cannot both be given", other.name, k->name));
        }
      }
      if (i + 1 == words.size()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s needs a value (%s)", k->name, k->type.metavar));
      }
      absl::StatusOr<ArgValue> value = k->type.parse(k->name, words[++i]);
      if (!value.ok()) return value.status();
      out.Set(k->name, *std::move(value));
      continue;
    }
    bool taken = false;
    for (; next < args_.size() && !taken; ++next) {
      const Arg& arg = args_[next];
      if (arg.form == Form::kKeyword) continue;
      if (arg.form == Form::kRest) {
        out.Set(arg.name, std::vector<std::string>(words.begin() + i, words.end()));
        return out;
      }
      const std::vector<std::string>& choices = arg.type.choices;
      if (arg.form == Form::kOptional && !choices.empty() &&
          std::find(choices.begin(), choices.end(), word) == choices.end()) {
        continue;
      }
      absl::StatusOr<ArgValue> value = arg.type.parse(arg.name, word);
      if (!value.ok()) return value.status();
      out.Set(arg.name, *std::move(value));
      taken = true;
    }
    if (!taken) return absl::InvalidArgumentError(absl::StrFormat("unexpected \"%s\"", word));
  }
  for (const Arg& arg : args_) {
    if (arg.form == Form::kRest && !out.Has(arg.name)) out.Set(arg.name, std::vector<std::string>{});
    if (arg.form == Form::kRequired && !out.Has(arg.name)) {
      return absl::InvalidArgumentError(absl::StrFormat("%s is missing", arg.name));
    }
  }
  return out;
}

nlohmann::json ArgList::Describe() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Arg& arg : args_) {
    const char* form = arg.form == Form::kRequired   ? "required"
                       : arg.form == Form::kOptional ? "optional"
                       : arg.form == Form::kKeyword  ? "keyword"
                                                     : "rest";
    list.push_back({{"name", arg.name},
                    {"metavar", arg.type.metavar},
                    {"form", form},
                    {"choices", arg.type.choices}});
  }
  return list;
}

}  // namespace zcswitch
