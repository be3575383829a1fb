// The statistics commands of the command table, testpmd's words where it has
// them: `show|clear port stats [NAME|all]`, `show port xstats NAME`,
// `show port info [NAME|all]`, `show|clear lcore stats`,
// `show|clear fwd stats` and `show config fwd`. Each replies with JSON for
// scripts and the aligned tables of stats_text.h for people.
//
// "clear" writes nothing on the data path: the commands keep baselines
// (stats_delta.h) that every display subtracts, so the metrics exposer's
// counters stay monotonic. Port and fwd stats, and lcore stats, have
// baselines of their own, as in testpmd. `show port stats` also gives the
// throughput since the previous `show port stats` (since forwarding began,
// the first time).
#ifndef ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_
#define ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "lib/control/command_table.h"
#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

// `snapshot` (of depth kFull) is called on the control thread for every
// command; `port_names` for every command that names a port.
void AddStatsCommands(CommandTable& table, std::function<SwitchSnapshot()> snapshot,
                      std::function<std::vector<std::string>()> port_names);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_
