#include "lib/bridge/fdb_commands.h"

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

rte_ether_addr EtherAddr(const MacAddr& mac) {
  rte_ether_addr addr;
  std::copy(mac.bytes.begin(), mac.bytes.end(), addr.addr_bytes);
  return addr;
}

// VLAN 0 is the untagged domain, as `show fdb` prints it.
ArgType VlanArg() { return UintArg("N", 0, kMaxVlan); }

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

void AddFdbCommands(CommandTable& table, Bridge* bridge) {
  auto names = [bridge] { return bridge->PortNames(); };
  table.Add("fdb add",
            ArgList().Required("MAC", MacArg()).Keyword("vlan", VlanArg()).Required(
                "PORT", PortNameArg("PORT", names)),
            "add a static FDB entry (never aged, never moved)",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const std::vector<std::string> names = bridge->PortNames();
              const std::string& name = args.Word("PORT");
              const auto id = static_cast<uint16_t>(
                  std::find(names.begin(), names.end(), name) - names.begin());
              const rte_ether_addr mac = EtherAddr(args.Mac("MAC"));
              const auto vlan = static_cast<uint16_t>(args.Has("vlan") ? args.Uint("vlan")
                                                                       : kUntaggedVlan);
              if (!bridge->Vlans().port(id).Carries(vlan)) {
                return absl::InvalidArgumentError(
                    absl::StrFormat("port %s does not carry VLAN %d", name, vlan));
              }
              if (absl::Status s = bridge->fdb().AddStatic(mac, vlan, id); !s.ok()) return s;
              return CommandReply{{{"mac", MacText(mac)}, {"vlan", vlan}, {"port", name}},
                                  absl::StrFormat("added %s vlan %d -> %s\n", MacText(mac), vlan,
                                                  name)};
            });
  table.Add("fdb del", ArgList().Required("MAC", MacArg()).Keyword("vlan", VlanArg()),
            "remove an FDB entry, static or learned",
            [bridge](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
              const rte_ether_addr mac = EtherAddr(args.Mac("MAC"));
              const auto vlan = static_cast<uint16_t>(args.Has("vlan") ? args.Uint("vlan")
                                                                       : kUntaggedVlan);
              if (!bridge->fdb().Remove(mac, vlan).ok()) {
                return absl::NotFoundError(
                    absl::StrFormat("no FDB entry for %s in VLAN %d", MacText(mac), vlan));
              }
              return CommandReply{{{"mac", MacText(mac)}, {"vlan", vlan}},
                                  absl::StrFormat("removed %s vlan %d\n", MacText(mac), vlan)};
            });
  table.Add("fdb flush", ArgList(), "remove every learned FDB entry (static ones stay)",
            [bridge](const CommandArgs&) -> absl::StatusOr<CommandReply> {
              const size_t n = bridge->fdb().FlushLearned();
              return CommandReply{{{"removed", n}},
                                  absl::StrFormat("removed %d learned entries\n", n)};
            });
  table.Add("show fdb", ArgList(),
            "the forwarding database: MAC, VLAN, port, static or learned, age",
            [bridge](const CommandArgs&) -> absl::StatusOr<CommandReply> {
              const Fdb& fdb = bridge->fdb();
              const std::vector<std::string> names = bridge->PortNames();
              nlohmann::json entries = nlohmann::json::array();
              for (const FdbEntry& e : SortedEntries(fdb)) {
                entries.push_back({{"mac", MacText(e.mac)},
                                   {"vlan", e.vlan},
                                   {"port", PortName(names, e.port)},
                                   {"type", e.is_static ? "static" : "learned"},
                                   {"age_s", e.age_s}});
              }
              const FdbStats s = fdb.Stats();
              nlohmann::json stats = {{"entries", s.entries},       {"learned", s.learned},
                                      {"moves", s.moves},           {"aged", s.aged},
                                      {"table_full", s.table_full}, {"learn_dropped", s.learn_dropped},
                                      {"aging_s", fdb.aging_s()}};
              return CommandReply{{{"entries", entries}, {"stats", stats}}, FormatFdb(fdb, names)};
            });
}

}  // namespace zcswitch
