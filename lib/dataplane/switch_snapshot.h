// A consistent-enough copy of every counter the switch publishes: per port,
// per queue and per forwarding lcore. Taken from the data path's
// single-writer counters, and read by the text report, the control socket,
// the metrics exposer and DPDK telemetry alike, so all show the same numbers.
//
// A snapshot of depth kCounters may be taken on any thread (the metrics
// exposer's, DPDK's telemetry thread). kFull, for the control thread only,
// adds what devices must be asked for and the forwarding configuration.
#ifndef ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_
#define ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/dataplane/lcore_stats.h"
#include "lib/switch/fdb.h"
#include "lib/switch/port.h"
#include "lib/switch/port_stats.h"

namespace zcswitch {

enum class SnapshotDepth { kCounters, kFull };

// What `show port info` tells of a port; kFull only.
struct PortInfo {
  std::string description;  // Port::Describe(): driver or socket, MAC or connection
  std::string vlan;         // "access 10", "trunk 10,20" or "untagged"
  std::vector<std::string> tx_offloads;  // what the port does itself
};

struct PortSnapshot {
  std::string name;
  uint64_t serial = 0;  // Port::serial(): which port of that name
  std::string type;
  bool link_up = false;
  bool started = true;  // false after `port stop`: assigned to lcores, not polled
  PortCounters counters;
  std::vector<PortCounters> rx_queues;  // index = RX queue
  std::vector<PortCounters> tx_queues;  // index = TX queue
  std::vector<PortXstat> xstats;        // Port::AppendXstats, and zero-copy's reaps
  ZcopyTarget zcopy_target = ZcopyTarget::kCopy;  // Port::zcopy_target()
  // kFull only.
  std::vector<PortXstat> device_xstats;  // Port::AppendDeviceXstats
  std::optional<PortInfo> info;
};

struct RxQueueSnapshot {
  std::string port;
  uint64_t port_serial = 0;
  uint16_t queue = 0;
  RxQueueSample sample;
};

struct LcoreSnapshot {
  unsigned lcore_id = 0;
  size_t rx_queues = 0;  // how many RX queues it polls
  LcoreSample sample;
  std::vector<RxQueueSnapshot> queues;  // the RX queues it polls
};

// The forwarding configuration, for `show config fwd`; kFull only.
struct FwdSnapshot {
  std::string mode;
  std::vector<std::pair<std::string, std::string>> pairs;
  uint32_t tx_retries = 0;
};

struct SwitchSnapshot {
  uint64_t tsc = 0;          // when it was taken
  uint64_t tsc_hz = 0;       // TSC frequency, to turn deltas into rates
  uint64_t started_tsc = 0;  // when forwarding began
  std::vector<PortSnapshot> ports;
  std::vector<LcoreSnapshot> lcores;
  std::optional<FdbStats> fdb;
  std::optional<FwdSnapshot> fwd;
};

// The port named `name` in `s`, or nullptr.
inline const PortSnapshot* FindPortSnapshot(const SwitchSnapshot& s, std::string_view name) {
  for (const PortSnapshot& p : s.ports) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_
