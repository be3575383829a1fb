// Human-readable tables of a SwitchSnapshot, aligned for reading at a
// glance: what zcswitchd prints while it runs and when it exits, and the
// text of the statistics commands. Each formats what it is given; intervals
// and "clear" are the caller's (stats_delta.h).
#ifndef ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_
#define ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_

#include <string>

#include "absl/types/span.h"
#include "lib/control/stats_delta.h"
#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

// Per-port link, packets, bytes and drops, and drops by reason. With
// `rates` (one per port) it adds the throughput columns.
std::string FormatPortStats(const SwitchSnapshot& shown, absl::Span<const PortRate> rates);

// One port's counters per queue, drops by reason, then its xstats.
std::string FormatPortXstats(const PortSnapshot& port);

// Per port: type, device, link, queues, VLAN and offloads (kFull snapshots).
std::string FormatPortInfo(const SwitchSnapshot& snapshot);

// Per lcore: busy and idle cycles, packets, cycles per packet; under each,
// its RX queues' packets and share of the lcore's cycles.
std::string FormatLcoreStats(const SwitchSnapshot& shown);

// testpmd's forward statistics: per port RX, TX and drops, and their sums.
std::string FormatFwdStats(const SwitchSnapshot& shown);

// The forwarding configuration: mode, lcores and their queues, pairs, TX
// retries (kFull snapshots).
std::string FormatFwdConfig(const SwitchSnapshot& snapshot);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_
