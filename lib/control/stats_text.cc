#include "lib/control/stats_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace zcswitch {
namespace {

std::string DropsByReason(const std::string& who, const PortCounters& c) {
  std::string out;
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    const uint64_t n = c.drops(static_cast<DropReason>(r));
    if (n != 0) {
      absl::StrAppend(&out, absl::StrFormat("  %s %s=%d", who,
                                            DropReasonName(static_cast<DropReason>(r)), n));
    }
  }
  return out;
}

// The port column is as wide as the longest name (names go up to
// kMaxPortName), and at least as wide as short names have always made it.
int NameWidth(const SwitchSnapshot& shown) {
  size_t width = 12;
  for (const PortSnapshot& p : shown.ports) width = std::max(width, p.name.size());
  return static_cast<int>(width);
}

double Share(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string FormatPortStats(const SwitchSnapshot& shown, absl::Span<const PortRate> rates) {
  const bool with_rates = !rates.empty();
  const int w = NameWidth(shown);
  std::string out =
      absl::StrFormat("%-*s %-4s %14s %16s %10s %14s %16s %10s", w, "port", "link", "rx-packets",
                      "rx-bytes", "rx-dropped", "tx-packets", "tx-bytes", "tx-dropped");
  if (with_rates) {
    absl::StrAppend(&out, absl::StrFormat(" %12s %14s %12s %14s", "rx-pps", "rx-bps", "tx-pps",
                                          "tx-bps"));
  }
  absl::StrAppend(&out, "\n");
  std::string drops;
  for (size_t i = 0; i < shown.ports.size(); ++i) {
    const PortSnapshot& p = shown.ports[i];
    const PortCounters& c = p.counters;
    absl::StrAppend(
        &out, absl::StrFormat("%-*s %-4s %14d %16d %10d %14d %16d %10d", w, p.name,
                              p.link_up ? "up" : "down", c.rx_packets, c.rx_bytes, c.rx_dropped(),
                              c.tx_packets, c.tx_bytes, c.tx_dropped()));
    if (with_rates && i < rates.size()) {
      const PortRate& r = rates[i];
      absl::StrAppend(&out, absl::StrFormat(" %12.0f %14.0f %12.0f %14.0f", r.rx_pps, r.rx_bps,
                                            r.tx_pps, r.tx_bps));
    }
    absl::StrAppend(&out, "\n");
    absl::StrAppend(&drops, DropsByReason(p.name, c));
  }
  if (!drops.empty()) absl::StrAppend(&out, "drops by reason:", drops, "\n");
  return out;
}

std::string FormatPortXstats(const PortSnapshot& port) {
  std::string out = absl::StrFormat("port %s (%s)\n%-6s %14s %16s %10s\n", port.name, port.type,
                                    "queue", "packets", "bytes", "dropped");
  std::string drops;
  const auto queues = [&](const std::vector<PortCounters>& qs, bool rx) {
    for (size_t q = 0; q < qs.size(); ++q) {
      const std::string name = absl::StrCat(rx ? "rx" : "tx", q);
      const PortCounters& c = qs[q];
      absl::StrAppend(&out, absl::StrFormat("%-6s %14d %16d %10d\n", name,
                                            rx ? c.rx_packets : c.tx_packets,
                                            rx ? c.rx_bytes : c.tx_bytes,
                                            rx ? c.rx_dropped() : c.tx_dropped()));
      absl::StrAppend(&drops, DropsByReason(name, c));
    }
  };
  queues(port.rx_queues, true);
  queues(port.tx_queues, false);
  if (!drops.empty()) absl::StrAppend(&out, "drops by reason:", drops, "\n");
  for (const auto* xstats : {&port.xstats, &port.device_xstats}) {
    for (const PortXstat& x : *xstats) {
      const std::string name = x.reason.empty() ? x.name : absl::StrCat(x.name, ".", x.reason);
      absl::StrAppend(&out, absl::StrFormat("%-6s %-36s %16d\n", x.queue.empty() ? "-" : x.queue,
                                            name, x.value));
    }
  }
  return out;
}

std::string FormatPortInfo(const SwitchSnapshot& snapshot) {
  std::string out;
  for (const PortSnapshot& p : snapshot.ports) {
    absl::StrAppend(&out, absl::StrFormat("port %s\n  %-10s %s\n  %-10s %s\n", p.name, "type",
                                          p.type, "state", p.started ? "started" : "stopped"));
    if (p.info) absl::StrAppend(&out, absl::StrFormat("  %-10s %s\n", "device", p.info->description));
    absl::StrAppend(&out, absl::StrFormat("  %-10s %s\n  %-10s %d rx, %d tx\n", "link",
                                          p.link_up ? "up" : "down", "queues", p.rx_queues.size(),
                                          p.tx_queues.size()));
    if (p.info) {
      absl::StrAppend(
          &out, absl::StrFormat("  %-10s %s\n  %-10s %s\n", "vlan", p.info->vlan, "offloads",
                                p.info->tx_offloads.empty()
                                    ? std::string("none")
                                    : absl::StrJoin(p.info->tx_offloads, ", ")));
    }
  }
  return out;
}

std::string FormatLcoreStats(const SwitchSnapshot& shown) {
  const int w = NameWidth(shown);
  std::string out = absl::StrFormat("%-6s %6s %14s %16s %16s %6s %11s\n", "lcore", "queues",
                                    "packets", "busy-cycles", "idle-cycles", "busy%", "cycles/pkt");
  for (const LcoreSnapshot& l : shown.lcores) {
    const LcoreSample& s = l.sample;
    absl::StrAppend(&out, absl::StrFormat("%-6d %6d %14d %16d %16d %6.1f %11.1f\n", l.lcore_id,
                                          l.rx_queues, s.packets, s.busy_cycles, s.idle_cycles,
                                          s.BusyPercent(), s.CyclesPerPacket()));
    for (const RxQueueSnapshot& q : l.queues) {
      absl::StrAppend(&out, absl::StrFormat("  %-*s rx%-5d %14d packets %6.1f%% of cycles\n",
                                            w, q.port, q.queue, q.sample.packets,
                                            Share(q.sample.cycles,
                                                  s.busy_cycles + s.idle_cycles)));
    }
  }
  return out;
}

std::string FormatFwdStats(const SwitchSnapshot& shown) {
  const int w = NameWidth(shown);
  std::string out = absl::StrFormat("%-*s %14s %10s %14s %10s\n", w, "port", "rx-packets",
                                    "rx-dropped", "tx-packets", "tx-dropped");
  PortCounters total;
  for (const PortSnapshot& p : shown.ports) {
    const PortCounters& c = p.counters;
    absl::StrAppend(&out, absl::StrFormat("%-*s %14d %10d %14d %10d\n", w, p.name, c.rx_packets,
                                          c.rx_dropped(), c.tx_packets, c.tx_dropped()));
    total += c;
  }
  absl::StrAppend(&out, absl::StrFormat("%-*s %14d %10d %14d %10d\n", w, "total", total.rx_packets,
                                        total.rx_dropped(), total.tx_packets, total.tx_dropped()));
  return out;
}

std::string FormatFwdConfig(const SwitchSnapshot& snapshot) {
  std::string out;
  if (snapshot.fwd) {
    absl::StrAppend(&out, absl::StrFormat("forwarding mode: %s\ntx retries: %d\n",
                                          snapshot.fwd->mode, snapshot.fwd->tx_retries));
  }
  for (const LcoreSnapshot& l : snapshot.lcores) {
    std::vector<std::string> queues;
    for (const RxQueueSnapshot& q : l.queues) {
      // A stopped port keeps its queues on their lcores, unpolled.
      const PortSnapshot* port = FindPortSnapshot(snapshot, q.port);
      const bool stopped = port != nullptr && !port->started;
      queues.push_back(absl::StrCat(q.port, " rx", q.queue, stopped ? " (stopped)" : ""));
    }
    absl::StrAppend(&out, absl::StrFormat("lcore %d polls %s\n", l.lcore_id,
                                          queues.empty() ? "nothing" : absl::StrJoin(queues, ", ")));
  }
  if (snapshot.fwd) {
    for (const auto& [a, b] : snapshot.fwd->pairs) {
      // A pair works while both its ports are there (port del, port add).
      std::string absent;
      for (const std::string* side : {&a, &b}) {
        if (FindPortSnapshot(snapshot, *side) == nullptr) {
          absl::StrAppend(&absent, absent.empty() ? "" : ", ", *side);
        }
      }
      absl::StrAppend(&out, absl::StrFormat("pair %s <-> %s%s\n", a, b,
                                            absent.empty() ? "" : " (no port " + absent + ")"));
    }
  }
  return out;
}

}  // namespace zcswitch
