// zcswitch's commands in DPDK telemetry, so that `dpdk-telemetry.py -f
// PREFIX` (or anything speaking /var/run/dpdk/PREFIX/dpdk_telemetry.v2)
// sees the switch as well as DPDK's own /ethdev/... commands:
//   /zcswitch/ports              the port names
//   /zcswitch/port_stats,NAME    one port's counters, drops by reason, and
//                                its type's own counters summed over queues
//   /zcswitch/lcores             per forwarding lcore: cycles, packets,
//                                RX queues
//
// The callbacks run on DPDK's telemetry thread and read only a snapshot of
// depth kCounters, which is safe from any thread. DPDK cannot unregister a
// command, so they are registered once per process and answer with an
// error while no TelemetryCommands object serves them; the mutex between
// them and the object's destructor is taken by no lcore.
#ifndef ZCSWITCH_LIB_CONTROL_TELEMETRY_H_
#define ZCSWITCH_LIB_CONTROL_TELEMETRY_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

class TelemetryCommands {
 public:
  using SnapshotFn = std::function<SwitchSnapshot()>;

  // After rte_eal_init. At most one object at a time.
  static absl::StatusOr<std::unique_ptr<TelemetryCommands>> Register(SnapshotFn snapshot);
  // Returns once no callback is still reading through `snapshot`.
  ~TelemetryCommands();

 private:
  TelemetryCommands() = default;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_TELEMETRY_H_
