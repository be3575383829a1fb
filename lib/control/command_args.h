// A command's arguments, declared once as an ArgList: the parser, the usage
// line, every refusal and the choices a prompt completes all come from that
// one declaration, so no handler reads untyped words or spells its usage.
//
//   ArgList().Required("MAC", MacArg()).Keyword("vlan", UintArg("N", 0, 4094))
//            .Required("PORT", PortNameArg(names))
// is `MAC [vlan N] PORT`. Words fill the positional arguments in order; a word
// that names a keyword argument not yet given takes it and its value,
// wherever it stands. An optional positional with fixed choices
// (`[client|server]`) takes only a word among them. Keywords declared
// together with Exclusive() exclude each other (`[vlan N | trunk N,M...]`).
// A refusal says what is wrong with which argument; the command table adds
// the usage.
#ifndef ZCSWITCH_LIB_CONTROL_COMMAND_ARGS_H_
#define ZCSWITCH_LIB_CONTROL_COMMAND_ARGS_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/control/mac_addr.h"

namespace zcswitch {

using ArgValue =
    std::variant<std::string, uint64_t, MacAddr, std::vector<uint64_t>, std::vector<std::string>>;

// What one argument's word may be.
struct ArgType {
  std::string metavar;               // in the usage: "N", "MAC", "NAME", "a|b"
  std::vector<std::string> choices;  // the only words allowed, when fixed; for completion
  // The value of `word` for the argument called `name`, or InvalidArgument
  // (NotFound for a name that names nothing) saying what is wrong.
  std::function<absl::StatusOr<ArgValue>(absl::string_view name, absl::string_view word)> parse;
};

// Any non-empty word.
ArgType WordArg(std::string metavar);
// A number from `min` to `max`.
ArgType UintArg(std::string metavar, uint64_t min, uint64_t max);
// Numbers from `min` to `max`, comma-separated, none twice.
ArgType UintListArg(std::string metavar, uint64_t min, uint64_t max);
// A unicast MAC address.
ArgType MacArg();
// One of `choices`; `noun` names them in a refusal ("unknown mode \"x\"").
ArgType ChoiceArg(std::string noun, std::vector<std::string> choices);
// The name of a port there is now (asked at each command), or `all` when
// `all` is true (the usage then shows `METAVAR|all`).
ArgType PortNameArg(std::string metavar, std::function<std::vector<std::string>()> names,
                    bool all = false);

// The values of one command's arguments, by name.
class CommandArgs {
 public:
  bool Has(absl::string_view name) const { return values_.contains(name); }
  // Each for an argument of that type; the argument must be there.
  const std::string& Word(absl::string_view name) const;
  uint64_t Uint(absl::string_view name) const;
  const MacAddr& Mac(absl::string_view name) const;
  const std::vector<uint64_t>& UintList(absl::string_view name) const;
  const std::vector<std::string>& Rest(absl::string_view name) const;

  void Set(std::string name, ArgValue value) { values_[std::move(name)] = std::move(value); }

 private:
  absl::flat_hash_map<std::string, ArgValue> values_;
};

class ArgList {
 public:
  ArgList& Required(std::string name, ArgType type);
  ArgList& Optional(std::string name, ArgType type);
  // `[name VALUE]`.
  ArgList& Keyword(std::string name, ArgType type);
  // Keyword arguments of which at most one may be given.
  ArgList& Exclusive(std::vector<std::pair<std::string, ArgType>> keywords);
  // Every word left, for a handler that passes them on (`port add`'s type
  // words); `metavar` shows in the usage.
  ArgList& Rest(std::string name, std::string metavar);
  // Appends `other`'s arguments after these.
  ArgList& Append(const ArgList& other);

  // "MAC [vlan N] PORT"; empty for no arguments.
  std::string Usage() const;
  absl::StatusOr<CommandArgs> Parse(absl::Span<const std::string> words) const;
  // For clients: [{"name", "metavar", "form", "choices"}, ...]; form is
  // "required", "optional", "keyword" or "rest".
  nlohmann::json Describe() const;

 private:
  enum class Form { kRequired, kOptional, kKeyword, kRest };
  struct Arg {
    std::string name;
    ArgType type;
    Form form;
    int group = 0;  // keywords sharing a group > 0 exclude each other
  };
  std::string UsageOf(const Arg& arg) const;

  std::vector<Arg> args_;
  int groups_ = 0;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_COMMAND_ARGS_H_
