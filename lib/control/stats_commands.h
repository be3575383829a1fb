// The statistics commands of the command table: `show port stats [NAME|all]`
// and `show lcore stats`, each replying with JSON for scripts and the aligned
// tables of stats_text.h for people.
#ifndef ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_
#define ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_

#include <functional>

#include "lib/control/command_table.h"
#include "lib/dataplane/switch_snapshot.h"

namespace zcswitch {

// `snapshot` is called on the control thread for every command.
void AddStatsCommands(CommandTable& table, std::function<SwitchSnapshot()> snapshot);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_STATS_COMMANDS_H_
