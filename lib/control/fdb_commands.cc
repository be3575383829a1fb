#include "lib/control/fdb_commands.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

}  // namespace

std::string FormatFdb(const Fdb& fdb, const std::vector<std::string>& port_names) {
  const FdbStats s = fdb.Stats();
  std::string out = absl::StrFormat(
      "FDB: %d entries (learned %d, moved %d, aged %d after %d s)\n%-17s %4s %-12s %-7s %6s\n",
      s.entries, s.learned, s.moves, s.aged, fdb.aging_s(), "mac", "vlan", "port", "type", "age");
  for (const FdbEntry& e : SortedEntries(fdb)) {
    absl::StrAppend(&out, absl::StrFormat("%-17s %4d %-12s %-7s %6s\n", MacText(e.mac), e.vlan,
                                          PortName(port_names, e.port),
                                          e.is_static ? "static" : "learned",
                                          e.is_static ? "-" : absl::StrCat(e.age_s)));
  }
  return out;
}

void AddFdbCommands(CommandTable& table, const Fdb* fdb, std::vector<std::string> port_names) {
  table.Add("show fdb", "", "the forwarding database: MAC, VLAN, port, static or learned, age",
            [fdb, port_names](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: show fdb");
              nlohmann::json entries = nlohmann::json::array();
              for (const FdbEntry& e : SortedEntries(*fdb)) {
                entries.push_back({{"mac", MacText(e.mac)},
                                   {"vlan", e.vlan},
                                   {"port", PortName(port_names, e.port)},
                                   {"type", e.is_static ? "static" : "learned"},
                                   {"age_s", e.age_s}});
              }
              const FdbStats s = fdb->Stats();
              nlohmann::json stats = {{"entries", s.entries},       {"learned", s.learned},
                                      {"moves", s.moves},           {"aged", s.aged},
                                      {"table_full", s.table_full}, {"learn_dropped", s.learn_dropped},
                                      {"aging_s", fdb->aging_s()}};
              return CommandReply{{{"entries", entries}, {"stats", stats}},
                                  FormatFdb(*fdb, port_names)};
            });
}

}  // namespace zcswitch
