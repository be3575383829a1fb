#include "lib/control/fdb_commands.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "lib/control/mac_addr.h"

namespace zcswitch {
namespace {

std::string MacText(const rte_ether_addr& mac) {
  MacAddr m;
  std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), m.bytes.begin());
  return m.ToString();
}

std::vector<FdbEntry> SortedEntries(const Fdb& fdb) {
  std::vector<FdbEntry> entries = fdb.Entries();
  std::sort(entries.begin(), entries.end(), [](const FdbEntry& a, const FdbEntry& b) {
    if (a.vlan != b.vlan) return a.vlan < b.vlan;
    return std::memcmp(a.mac.addr_bytes, b.mac.addr_bytes, RTE_ETHER_ADDR_LEN) < 0;
  });
  return entries;
}

std::string PortName(const std::vector<std::string>& names, uint16_t port) {
  return port < names.size() ? names[port] : absl::StrCat("#", port);
}

// The MAC and VLAN of `fdb add|del MAC [vlan N] ...`; `args` loses them.
absl::StatusOr<std::pair<rte_ether_addr, uint16_t>> ParseMacVlan(
    absl::Span<const std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("a MAC address is missing");
  const std::optional<MacAddr> mac = MacAddr::Parse(args[0]);
  if (!mac || mac->IsMulticast() || mac->IsZero()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not a unicast MAC address", args[0]));
  }
  rte_ether_addr addr;
  std::copy(mac->bytes.begin(), mac->bytes.end(), addr.addr_bytes);
  args.remove_prefix(1);
  uint16_t vlan = kUntaggedVlan;
  if (!args.empty() && args[0] == "vlan") {
    int v = -1;
    // VLAN 0 is the untagged domain, as `show fdb` prints it.
    if (args.size() < 2 || !absl::SimpleAtoi(args[1], &v) || v < 0 || v > kMaxVlan) {
      return absl::InvalidArgumentError(
          absl::StrFormat("vlan needs a number from 0 (untagged) to %d", kMaxVlan));
    }
    vlan = static_cast<uint16_t>(v);
    args.remove_prefix(2);
  }
  return std::make_pair(addr, vlan);
}

}  // namespace

std::string FormatFdb(const Fdb& fdb, const std::vector<std::string>& port_names) {
  const FdbStats s = fdb.Stats();
  size_t width = 12;
  for (const std::string& name : port_names) width = std::max(width, name.size());
  const int w = static_cast<int>(width);
  std::string out = absl::StrFormat(
      "FDB: %d entries (learned %d, moved %d, aged %d after %d s)\n%-17s %4s %-*s %-7s %6s\n",
      s.entries, s.learned, s.moves, s.aged, fdb.aging_s(), "mac", "vlan", w, "port", "type",
      "age");
  for (const FdbEntry& e : SortedEntries(fdb)) {
    absl::StrAppend(&out, absl::StrFormat("%-17s %4d %-*s %-7s %6s\n", MacText(e.mac), e.vlan, w,
                                          PortName(port_names, e.port),
                                          e.is_static ? "static" : "learned",
                                          e.is_static ? "-" : absl::StrCat(e.age_s)));
  }
  return out;
}

void AddFdbCommands(CommandTable& table, Fdb* fdb, std::function<VlanMap()> vlans,
                    std::function<std::vector<std::string>()> port_names) {
  table.Add("fdb add", "MAC [vlan N] PORT", "add a static FDB entry (never aged, never moved)",
            [fdb, vlans, port_names](
                absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              const std::vector<std::string> names = port_names();
              constexpr absl::string_view kUsage = "usage: fdb add MAC [vlan N] PORT";
              absl::StatusOr<std::pair<rte_ether_addr, uint16_t>> key = ParseMacVlan(args);
              if (!key.ok() || args.size() != 1) {
                return absl::InvalidArgumentError(absl::StrCat(
                    key.ok() ? "" : absl::StrCat(key.status().message(), "; "), kUsage));
              }
              const auto port = std::find(names.begin(), names.end(), args[0]);
              if (args[0].empty() || port == names.end()) {
                return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", args[0]));
              }
              const auto id = static_cast<uint16_t>(port - names.begin());
              const auto [mac, vlan] = *key;
              if (!vlans().port(id).Carries(vlan)) {
                return absl::InvalidArgumentError(
                    absl::StrFormat("port %s does not carry VLAN %d", args[0], vlan));
              }
              if (absl::Status s = fdb->AddStatic(mac, vlan, id); !s.ok()) return s;
              return CommandReply{{{"mac", MacText(mac)}, {"vlan", vlan}, {"port", args[0]}},
                                  absl::StrFormat("added %s vlan %d -> %s\n", MacText(mac), vlan,
                                                  args[0])};
            });
  table.Add("fdb del", "MAC [vlan N]", "remove an FDB entry, static or learned",
            [fdb](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              constexpr absl::string_view kUsage = "usage: fdb del MAC [vlan N]";
              absl::StatusOr<std::pair<rte_ether_addr, uint16_t>> key = ParseMacVlan(args);
              if (!key.ok() || !args.empty()) {
                return absl::InvalidArgumentError(absl::StrCat(
                    key.ok() ? "" : absl::StrCat(key.status().message(), "; "), kUsage));
              }
              const auto [mac, vlan] = *key;
              if (!fdb->Remove(mac, vlan).ok()) {
                return absl::NotFoundError(
                    absl::StrFormat("no FDB entry for %s in VLAN %d", MacText(mac), vlan));
              }
              return CommandReply{{{"mac", MacText(mac)}, {"vlan", vlan}},
                                  absl::StrFormat("removed %s vlan %d\n", MacText(mac), vlan)};
            });
  table.Add("fdb flush", "", "remove every learned FDB entry (static ones stay)",
            [fdb](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: fdb flush");
              const size_t n = fdb->FlushLearned();
              return CommandReply{{{"removed", n}},
                                  absl::StrFormat("removed %d learned entries\n", n)};
            });
  table.Add("show fdb", "", "the forwarding database: MAC, VLAN, port, static or learned, age",
            [fdb, port_names](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: show fdb");
              const std::vector<std::string> names = port_names();
              nlohmann::json entries = nlohmann::json::array();
              for (const FdbEntry& e : SortedEntries(*fdb)) {
                entries.push_back({{"mac", MacText(e.mac)},
                                   {"vlan", e.vlan},
                                   {"port", PortName(names, e.port)},
                                   {"type", e.is_static ? "static" : "learned"},
                                   {"age_s", e.age_s}});
              }
              const FdbStats s = fdb->Stats();
              nlohmann::json stats = {{"entries", s.entries},       {"learned", s.learned},
                                      {"moves", s.moves},           {"aged", s.aged},
                                      {"table_full", s.table_full}, {"learn_dropped", s.learn_dropped},
                                      {"aging_s", fdb->aging_s()}};
              return CommandReply{{{"entries", entries}, {"stats", stats}},
                                  FormatFdb(*fdb, names)};
            });
}

}  // namespace zcswitch
