// `show vhost NAME`: a vhost-user port's protocol state as the control thread
// sees it: connection, negotiated features (bits and names), each vring's
// configuration and whether the data path runs it, and the guest's memory
// regions.
#ifndef ZCSWITCH_APP_ZCSWITCHD_VHOST_INFO_H_
#define ZCSWITCH_APP_ZCSWITCHD_VHOST_INFO_H_

#include "drivers/vhost_user/vhost_user_port.h"
#include "lib/control/command_table.h"

namespace zcswitch {

CommandReply VhostInfo(const VhostUserPort& port);

}  // namespace zcswitch

#endif  // ZCSWITCH_APP_ZCSWITCHD_VHOST_INFO_H_
