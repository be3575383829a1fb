#include "lib/control/stats_delta.h"

namespace zcswitch {
namespace {

// The same port in `s`: the same name, and not a port of that name removed
// since.
const PortSnapshot* FindPort(const SwitchSnapshot& s, const PortSnapshot& port) {
  for (const PortSnapshot& p : s.ports) {
    if (p.name == port.name && p.serial == port.serial) return &p;
  }
  return nullptr;
}

const LcoreSnapshot* FindLcore(const SwitchSnapshot& s, unsigned id) {
  for (const LcoreSnapshot& l : s.lcores) {
    if (l.lcore_id == id) return &l;
  }
  return nullptr;
}

// Counters only grow while a port lives; anything less than its baseline
// means the baseline belongs to an earlier port of that name.
bool WentBackwards(const PortCounters& now, const PortCounters& base) {
  return now.rx_packets < base.rx_packets || now.tx_packets < base.tx_packets ||
         now.rx_bytes < base.rx_bytes || now.tx_bytes < base.tx_bytes;
}

void SubtractQueues(std::vector<PortCounters>& now, const std::vector<PortCounters>& base) {
  for (size_t q = 0; q < now.size() && q < base.size(); ++q) now[q] = now[q] - base[q];
}

void SubtractXstats(std::vector<PortXstat>& now, const std::vector<PortXstat>& base) {
  for (PortXstat& x : now) {
    if (x.kind == XstatKind::kGauge) continue;  // a level, not a count since
    for (const PortXstat& b : base) {
      if (b.name == x.name && b.reason == x.reason && b.queue == x.queue) {
        x.value = x.value >= b.value ? x.value - b.value : x.value;
        break;
      }
    }
  }
}

}  // namespace

SwitchSnapshot Subtract(const SwitchSnapshot& now, const SwitchSnapshot& baseline) {
  SwitchSnapshot d = now;
  for (PortSnapshot& p : d.ports) {
    const PortSnapshot* base = FindPort(baseline, p);
    if (base == nullptr || WentBackwards(p.counters, base->counters)) continue;
    p.counters = p.counters - base->counters;
    SubtractQueues(p.rx_queues, base->rx_queues);
    SubtractQueues(p.tx_queues, base->tx_queues);
    SubtractXstats(p.xstats, base->xstats);
    SubtractXstats(p.device_xstats, base->device_xstats);
  }
  for (LcoreSnapshot& l : d.lcores) {
    const LcoreSnapshot* base = FindLcore(baseline, l.lcore_id);
    if (base == nullptr || l.sample.busy_cycles < base->sample.busy_cycles) continue;
    l.sample = l.sample - base->sample;
    for (RxQueueSnapshot& q : l.queues) {
      for (const RxQueueSnapshot& b : base->queues) {
        if (b.port == q.port && b.port_serial == q.port_serial && b.queue == q.queue &&
            q.sample.packets >= b.sample.packets) {
          q.sample = q.sample - b.sample;
          break;
        }
      }
    }
  }
  return d;
}

void SetPortBaseline(SwitchSnapshot& baseline, const SwitchSnapshot& now,
                     const std::optional<std::string>& name) {
  for (const PortSnapshot& p : now.ports) {
    if (name && p.name != *name) continue;
    std::erase_if(baseline.ports, [&](const PortSnapshot& b) { return b.name == p.name; });
    baseline.ports.push_back(p);
  }
}

std::vector<PortRate> PortRates(const SwitchSnapshot& now, const SwitchSnapshot& before) {
  std::vector<PortRate> rates(now.ports.size());
  if (now.tsc_hz == 0 || now.tsc <= before.tsc) return rates;
  const double seconds = static_cast<double>(now.tsc - before.tsc) / now.tsc_hz;
  for (size_t i = 0; i < now.ports.size(); ++i) {
    PortCounters d = now.ports[i].counters;
    const PortSnapshot* b = FindPort(before, now.ports[i]);
    if (b != nullptr && !WentBackwards(d, b->counters)) d = d - b->counters;
    rates[i] = {d.rx_packets / seconds, d.tx_packets / seconds, 8.0 * d.rx_bytes / seconds,
                8.0 * d.tx_bytes / seconds};
  }
  return rates;
}

}  // namespace zcswitch
