#include "lib/control/port_spec.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "lib/control/command_args.h"

namespace zcswitch {
namespace {

// A name for a new port.
ArgType NewPortNameArg() {
  return {"NAME", {}, [](absl::string_view, absl::string_view word) -> absl::StatusOr<ArgValue> {
            if (!IsPortName(word)) {
              return absl::InvalidArgumentError(
                  absl::StrFormat("\"%s\" is not a port name (1-%d letters, digits, '_' or '-'; "
                                  "not \"all\")",
                                  word, kMaxPortName));
            }
            return std::string(word);
          }};
}

std::vector<std::string> TypeNames(PortDriverTable drivers) {
  std::vector<std::string> names;
  for (const PortDriver* d : drivers) names.emplace_back(d->name);
  return names;
}

// What every port takes after its type's own words.
ArgList CommonArgs() {
  return ArgList()
      .Keyword("queues", UintArg("N", 1, kMaxPortQueues))
      .Exclusive({{"vlan", UintArg("N", 1, 4094)}, {"trunk", UintListArg("N,M...", 1, 4094)}});
}

// The words after TYPE for a port of `driver`.
ArgList TypeArgs(const PortDriver& driver) {
  ArgList args;
  driver.add_args(args);
  return args.Append(CommonArgs());
}

}  // namespace

std::string PortAddUsage(PortDriverTable drivers) {
  std::string usage;
  for (const PortDriver* d : drivers) {
    absl::StrAppend(&usage, usage.empty() ? "usage: " : "\n       ", "port add NAME ", d->name,
                    " ", TypeArgs(*d).Usage());
  }
  return usage;
}

absl::StatusOr<PortConfig> ParsePortSpec(absl::Span<const std::string> args,
                                         PortDriverTable drivers) {
  auto bad = [&](const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat(s.message(), "\n", PortAddUsage(drivers)));
  };
  const ArgList head = ArgList()
                           .Required("NAME", NewPortNameArg())
                           .Required("TYPE", ChoiceArg("port type", TypeNames(drivers)))
                           .Rest("WORDS", "");
  absl::StatusOr<CommandArgs> parsed = head.Parse(args);
  if (!parsed.ok()) return bad(parsed.status());
  PortConfig port;
  port.name = parsed->Word("NAME");
  port.type = parsed->Word("TYPE");
  const PortDriver& driver = *FindPortDriver(drivers, port.type);
  absl::StatusOr<CommandArgs> words = TypeArgs(driver).Parse(parsed->Rest("WORDS"));
  if (!words.ok()) return bad(words.status());
  if (absl::Status s = driver.from_args(*words, port); !s.ok()) return bad(s);
  if (words->Has("queues")) port.queues = static_cast<uint16_t>(words->Uint("queues"));
  if (words->Has("vlan")) port.vlan = static_cast<uint16_t>(words->Uint("vlan"));
  if (words->Has("trunk")) {
    for (uint64_t v : words->UintList("trunk")) port.trunk.push_back(static_cast<uint16_t>(v));
  }
  return port;
}

absl::Status CheckPortFits(const PortConfig& port, absl::Span<const PortConfig> ports,
                           PortDriverTable drivers) {
  const PortDriver* driver = FindPortDriver(drivers, port.type);
  if (driver == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat("no port type \"%s\"", port.type));
  }
  const std::string attachment = driver->attachment(port);
  for (const PortConfig& p : ports) {
    if (p.name.empty()) continue;
    if (p.name == port.name) {
      return absl::AlreadyExistsError(absl::StrFormat("a port named %s exists", port.name));
    }
    if (p.type == port.type && driver->attachment(p) == attachment) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s is already port %s", attachment, p.name));
    }
  }
  return absl::OkStatus();
}

}  // namespace zcswitch
