// Forwarding's commands, testpmd's words:
//   set fwd MODE    switch the forwarding mode while running (FwdModes())
//   show fwd        the mode, and whether forwarding runs
//   start | stop    the lcores poll, or not; ports stay up
#ifndef ZCSWITCH_LIB_BRIDGE_FWD_COMMANDS_H_
#define ZCSWITCH_LIB_BRIDGE_FWD_COMMANDS_H_

#include "lib/bridge/bridge.h"
#include "lib/control/command_table.h"

namespace zcswitch {

// `bridge` must outlive `table`.
void AddFwdCommands(CommandTable& table, Bridge* bridge);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_FWD_COMMANDS_H_
