// Per-lcore cycle accounting, as OVS's pmd-stats-show reports it.
//
// Each loop iteration is timed with the TSC and charged to busy cycles when it
// received packets, to idle cycles when it did not. Cycles per packet is busy
// cycles divided by packets: the cost of forwarding, independent of load.
// Written by its lcore only (see Counter); read by anyone through samples.
#ifndef ZCSWITCH_LIB_DATAPLANE_LCORE_STATS_H_
#define ZCSWITCH_LIB_DATAPLANE_LCORE_STATS_H_

#include <cstdint>

#include "lib/base/counter.h"

namespace zcswitch {

struct LcoreSample {
  uint64_t busy_cycles = 0;
  uint64_t idle_cycles = 0;
  uint64_t packets = 0;

  // 0 when no packet was forwarded.
  double CyclesPerPacket() const {
    return packets == 0 ? 0.0 : static_cast<double>(busy_cycles) / packets;
  }
  // Share of cycles spent on iterations that forwarded something, 0-100.
  double BusyPercent() const {
    const uint64_t total = busy_cycles + idle_cycles;
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(busy_cycles) / total;
  }
  friend LcoreSample operator-(const LcoreSample& later, const LcoreSample& earlier) {
    return {later.busy_cycles - earlier.busy_cycles, later.idle_cycles - earlier.idle_cycles,
            later.packets - earlier.packets};
  }
};

// One RX queue's part of its lcore's work, as OVS's pmd-rxq-show gives it:
// the packets it received and the cycles spent receiving and forwarding
// them (charged from the end of the previous busy queue's burst, so empty
// polls before a burst count with it, and no TSC read is spent on them).
struct RxQueueSample {
  uint64_t packets = 0;
  uint64_t cycles = 0;
  friend RxQueueSample operator-(const RxQueueSample& later, const RxQueueSample& earlier) {
    return {later.packets - earlier.packets, later.cycles - earlier.cycles};
  }
};

struct alignas(64) RxQueueCounters {
  Counter packets;
  Counter cycles;

  RxQueueSample Sample() const { return {packets.Read(), cycles.Read()}; }
};

struct alignas(64) LcoreCounters {
  Counter busy_cycles;
  Counter idle_cycles;
  Counter packets;

  // Charges one loop iteration of `cycles` that received `packets`.
  void Iteration(uint64_t cycles, uint64_t packets_received) {
    if (packets_received != 0) {
      busy_cycles.Add(cycles);
      packets.Add(packets_received);
    } else {
      idle_cycles.Add(cycles);
    }
  }

  LcoreSample Sample() const {
    return {busy_cycles.Read(), idle_cycles.Read(), packets.Read()};
  }
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_LCORE_STATS_H_
