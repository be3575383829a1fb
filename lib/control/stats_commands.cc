#include "lib/control/stats_commands.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "lib/control/stats_text.h"

namespace zcswitch {
namespace {

nlohmann::json PortJson(const PortSnapshot& p) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    const auto reason = static_cast<DropReason>(r);
    drops[std::string(DropReasonName(reason))] = p.counters.drops(reason);
  }
  return {{"name", p.name},
          {"type", p.type},
          {"link_up", p.link_up},
          {"rx_packets", p.counters.rx_packets},
          {"rx_bytes", p.counters.rx_bytes},
          {"tx_packets", p.counters.tx_packets},
          {"tx_bytes", p.counters.tx_bytes},
          {"drops", drops}};
}

nlohmann::json LcoreJson(const LcoreSnapshot& l) {
  return {{"lcore", l.lcore_id},
          {"rx_queues", l.rx_queues},
          {"busy_cycles", l.sample.busy_cycles},
          {"idle_cycles", l.sample.idle_cycles},
          {"packets", l.sample.packets},
          {"cycles_per_packet", l.sample.CyclesPerPacket()}};
}

}  // namespace

void AddStatsCommands(CommandTable& table, std::function<SwitchSnapshot()> snapshot) {
  table.Add("show port stats", "[NAME|all]", "per-port packets, bytes and drops by reason",
            [snapshot](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (args.size() > 1) {
                return absl::InvalidArgumentError("usage: show port stats [NAME|all]");
              }
              SwitchSnapshot s = snapshot();
              if (args.size() == 1 && args[0] != "all") {
                std::erase_if(s.ports, [&](const PortSnapshot& p) { return p.name != args[0]; });
                if (s.ports.empty()) {
                  return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", args[0]));
                }
              }
              nlohmann::json ports = nlohmann::json::array();
              for (const PortSnapshot& p : s.ports) ports.push_back(PortJson(p));
              return CommandReply{{{"ports", ports}}, FormatPortStats(s, nullptr)};
            });
  table.Add("show lcore stats", "", "per-lcore busy and idle cycles, packets, cycles per packet",
            [snapshot](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
              if (!args.empty()) return absl::InvalidArgumentError("usage: show lcore stats");
              const SwitchSnapshot s = snapshot();
              nlohmann::json lcores = nlohmann::json::array();
              for (const LcoreSnapshot& l : s.lcores) lcores.push_back(LcoreJson(l));
              return CommandReply{{{"lcores", lcores}, {"tsc_hz", s.tsc_hz}},
                                  FormatLcoreStats(s, nullptr)};
            });
}

}  // namespace zcswitch
