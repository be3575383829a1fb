// The vhost-user port's commands:
//   show vhost NAME   a port's protocol state as the control thread sees it:
//                     connection, negotiated features (bits and names), each
//                     vring's configuration and whether the data path runs
//                     it, and the guest's memory regions.
#ifndef ZCSWITCH_DRIVERS_VHOST_USER_VHOST_COMMANDS_H_
#define ZCSWITCH_DRIVERS_VHOST_USER_VHOST_COMMANDS_H_

#include "lib/bridge/bridge.h"
#include "lib/control/command_table.h"

namespace zcswitch {

// `bridge` must outlive `table`.
void AddVhostCommands(CommandTable& table, const Bridge* bridge);

}  // namespace zcswitch

#endif  // ZCSWITCH_DRIVERS_VHOST_USER_VHOST_COMMANDS_H_
