// Counters since a point in time, without writing to the data path's
// counters: "clear" keeps a baseline snapshot on the control side and every
// display subtracts it; rates divide the difference of two snapshots by the
// time between them.
//
// Ports are matched by name, lcores by id, queues by position, xstats by
// name, reason and queue; a gauge xstat is a level and is left as it is.
// What the baseline lacks counts from zero; a port
// whose counters went backwards (a new port under an old name) ignores its
// stale baseline.
#ifndef ZCSWITCH_LIB_CONTROL_STATS_DELTA_H_
#define ZCSWITCH_LIB_CONTROL_STATS_DELTA_H_

#include <optional>
#include <string>
#include <vector>

#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

// `now` less `baseline`: every port, queue, xstat and lcore counter.
SwitchSnapshot Subtract(const SwitchSnapshot& now, const SwitchSnapshot& baseline);

// Makes `now`'s port `name` (every port when nullopt) the baseline's.
// NotFound-free: a name `now` lacks changes nothing; the caller checks.
void SetPortBaseline(SwitchSnapshot& baseline, const SwitchSnapshot& now,
                     const std::optional<std::string>& name);

struct PortRate {
  double rx_pps = 0;
  double tx_pps = 0;
  double rx_bps = 0;  // bits per second, as testpmd's Rx-bps
  double tx_bps = 0;
};

// Per port of `now`, in order: packet and bit rates over the interval since
// `before`. Zero rates when no time passed.
std::vector<PortRate> PortRates(const SwitchSnapshot& now, const SwitchSnapshot& before);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_STATS_DELTA_H_
