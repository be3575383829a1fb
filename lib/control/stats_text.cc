#include "lib/control/stats_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

double Seconds(const SwitchSnapshot& now, const SwitchSnapshot& since) {
  if (now.tsc_hz == 0 || now.tsc <= since.tsc) return 0.0;
  return static_cast<double>(now.tsc - since.tsc) / static_cast<double>(now.tsc_hz);
}

const PortSnapshot* FindPort(const SwitchSnapshot& snapshot, const std::string& name) {
  for (const PortSnapshot& p : snapshot.ports) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

std::string FormatPortStats(const SwitchSnapshot& now, const SwitchSnapshot* since) {
  const double seconds = since != nullptr ? Seconds(now, *since) : 0.0;
  std::string out =
      absl::StrFormat("%-12s %-4s %14s %16s %10s %14s %16s %10s", "port", "link", "rx-packets",
                      "rx-bytes", "rx-dropped", "tx-packets", "tx-bytes", "tx-dropped");
  if (seconds > 0) absl::StrAppend(&out, absl::StrFormat(" %12s %12s", "rx-pps", "tx-pps"));
  absl::StrAppend(&out, "\n");
  std::string drops;
  for (const PortSnapshot& p : now.ports) {
    const PortCounters& c = p.counters;
    absl::StrAppend(
        &out, absl::StrFormat("%-12s %-4s %14d %16d %10d %14d %16d %10d", p.name,
                              p.link_up ? "up" : "down", c.rx_packets, c.rx_bytes, c.rx_dropped(),
                              c.tx_packets, c.tx_bytes, c.tx_dropped()));
    if (seconds > 0) {
      const PortSnapshot* before = FindPort(*since, p.name);
      const PortCounters d = before != nullptr ? c - before->counters : c;
      absl::StrAppend(
          &out, absl::StrFormat(" %12.0f %12.0f", d.rx_packets / seconds, d.tx_packets / seconds));
    }
    absl::StrAppend(&out, "\n");
    for (size_t r = 0; r < kNumDropReasons; ++r) {
      const uint64_t n = c.drops(static_cast<DropReason>(r));
      if (n == 0) continue;
      absl::StrAppend(&drops, absl::StrFormat("  %s %s=%d", p.name,
                                              DropReasonName(static_cast<DropReason>(r)), n));
    }
  }
  if (!drops.empty()) absl::StrAppend(&out, "drops by reason:", drops, "\n");
  return out;
}

std::string FormatLcoreStats(const SwitchSnapshot& now, const SwitchSnapshot* since) {
  std::string out = absl::StrFormat("%-6s %6s %14s %16s %16s %6s %11s\n", "lcore", "queues",
                                    "packets", "busy-cycles", "idle-cycles", "busy%", "cycles/pkt");
  for (size_t i = 0; i < now.lcores.size(); ++i) {
    const LcoreSnapshot& l = now.lcores[i];
    LcoreSample s = l.sample;
    if (since != nullptr && i < since->lcores.size()) s = s - since->lcores[i].sample;
    absl::StrAppend(&out, absl::StrFormat("%-6d %6d %14d %16d %16d %6.1f %11.1f\n", l.lcore_id,
                                          l.rx_queues, s.packets, s.busy_cycles, s.idle_cycles,
                                          s.BusyPercent(), s.CyclesPerPacket()));
  }
  return out;
}

}  // namespace zcswitch
