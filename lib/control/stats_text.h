// Human-readable tables of port and lcore counters, aligned for reading at a
// glance: what zcswitchd prints while it runs and when it exits.
#ifndef ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_
#define ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_

#include <string>

#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

// Per-port packets, bytes and drops in `now`. With `since` (an earlier
// snapshot of the same ports) it adds packet rates over the interval.
std::string FormatPortStats(const SwitchSnapshot& now, const SwitchSnapshot* since);

// Per-lcore busy and idle cycles, packets and cycles per packet. With `since`
// the figures cover only the interval.
std::string FormatLcoreStats(const SwitchSnapshot& now, const SwitchSnapshot* since);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_STATS_TEXT_H_
