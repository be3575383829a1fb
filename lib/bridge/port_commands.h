// The port table's commands, testpmd's words where it has them:
//   port add NAME vhost-user SOCKET [client|server] [queues N] [vlan N | trunk N,M...]
//   port add NAME ethdev DEVARGS [queues N] [vlan N | trunk N,M...]
//   port del NAME
//   port stop NAME|all          not polled, traffic to it dropped as link_down
//   port start NAME|all
#ifndef ZCSWITCH_LIB_BRIDGE_PORT_COMMANDS_H_
#define ZCSWITCH_LIB_BRIDGE_PORT_COMMANDS_H_

#include "lib/bridge/bridge.h"
#include "lib/control/command_table.h"

namespace zcswitch {

// `bridge` must outlive `table`.
void AddPortCommands(CommandTable& table, Bridge* bridge);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_PORT_COMMANDS_H_
