// Per-queue packet, byte and drop counters of a port, and their sums.
//
// Each RX queue's counters are written only by the lcore that polls it and each
// TX queue's only by the lcore that owns it, so the data path counts without
// atomics' locked instructions. Every queue's block sits on its own cache
// lines. Readers take a PortCounters snapshot; snapshots subtract, which is how
// "clear" and rates work without writing to the data path's counters.
#ifndef ZCSWITCH_LIB_SWITCH_PORT_STATS_H_
#define ZCSWITCH_LIB_SWITCH_PORT_STATS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "lib/base/counter.h"
#include "lib/switch/drop_reason.h"

namespace zcswitch {

struct alignas(64) QueueCounters {
  Counter packets;
  Counter bytes;
  std::array<Counter, kNumDropReasons> drops;

  void Drop(DropReason reason, uint64_t n) { drops[static_cast<size_t>(reason)].Add(n); }
};

static_assert(alignof(QueueCounters) == 64 && sizeof(QueueCounters) % 64 == 0,
              "each queue's counters must own their cache lines");

// A point-in-time copy of a port's counters (or of one queue's).
struct PortCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  std::array<uint64_t, kNumDropReasons> rx_drops{};  // counted at ingress
  std::array<uint64_t, kNumDropReasons> tx_drops{};  // counted at egress

  uint64_t rx_dropped() const;
  uint64_t tx_dropped() const;
  uint64_t drops(DropReason reason) const {
    return rx_drops[static_cast<size_t>(reason)] + tx_drops[static_cast<size_t>(reason)];
  }
  PortCounters& operator+=(const PortCounters& other);
  // Counters only grow, so `later - earlier` is what happened in between.
  friend PortCounters operator-(const PortCounters& later, const PortCounters& earlier);
  friend bool operator==(const PortCounters&, const PortCounters&) = default;
};

// How an xstat's value reads over time.
enum class XstatKind : uint8_t {
  kCounter,  // only grows: `clear` subtracts a baseline; a Prometheus counter
  kGauge,    // a level (held now, the most held): shown as it is, never cleared
};

// One counter a port type keeps beyond these (Port::AppendXstats), in the
// spirit of DPDK's xstats: a name, an optional reason subdividing it, and the
// queue it belongs to as the switch sees it: "rx0" is what the switch
// receives on RX queue 0, "tx1" what it sends on TX queue 1, "" the port.
struct PortXstat {
  std::string name;
  std::string reason;
  std::string queue;
  uint64_t value = 0;
  // What `name` counts, the same for all its reasons and queues (metrics'
  // HELP); a literal, or empty when the port type has none.
  absl::string_view help;
  XstatKind kind = XstatKind::kCounter;
  // Its /metrics family, a literal: empty for the port type's own,
  // zcswitch_<type>_<name>_total (no _total for a gauge) labelled by port,
  // queue and reason; otherwise a family every port type may add to (zero-
  // copy's, lib/switch/zcopy_xstats.h).
  absl::string_view metric = {};
  // In that family, summed over the port's queues: labelled by port and
  // reason only.
  bool per_port = false;
  friend bool operator==(const PortXstat&, const PortXstat&) = default;
};

class PortStats {
 public:
  PortStats(uint16_t rx_queues, uint16_t tx_queues);

  uint16_t rx_queues() const { return rx_queues_; }
  uint16_t tx_queues() const { return tx_queues_; }
  QueueCounters& rx(uint16_t queue) { return rx_[queue]; }
  QueueCounters& tx(uint16_t queue) { return tx_[queue]; }

  PortCounters RxQueue(uint16_t queue) const;
  PortCounters TxQueue(uint16_t queue) const;
  PortCounters Total() const;

 private:
  uint16_t rx_queues_;
  uint16_t tx_queues_;
  std::unique_ptr<QueueCounters[]> rx_;
  std::unique_ptr<QueueCounters[]> tx_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_PORT_STATS_H_
