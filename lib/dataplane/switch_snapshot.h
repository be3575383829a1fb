// A consistent-enough copy of every counter the switch publishes: per port and
// per forwarding lcore. Taken by the control thread from the data path's
// single-writer counters, and read by the text report and the metrics
// exposer alike, so both always show the same numbers.
#ifndef ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_
#define ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_

#include <string>
#include <vector>

#include <optional>

#include "lib/dataplane/lcore_stats.h"
#include "lib/switch/fdb.h"
#include "lib/switch/port_stats.h"

namespace zcswitch {

struct PortSnapshot {
  std::string name;
  std::string type;
  bool link_up = false;
  PortCounters counters;
};

struct LcoreSnapshot {
  unsigned lcore_id = 0;
  size_t rx_queues = 0;  // how many RX queues it polls
  LcoreSample sample;
};

struct SwitchSnapshot {
  uint64_t tsc = 0;     // when it was taken
  uint64_t tsc_hz = 0;  // TSC frequency, to turn deltas into rates
  std::vector<PortSnapshot> ports;
  std::vector<LcoreSnapshot> lcores;
  std::optional<FdbStats> fdb;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_SWITCH_SNAPSHOT_H_
