// The FDB as people and scripts see it and change it:
//   show fdb                    every entry (MAC, VLAN, port name, static or
//                               learned, age) and the FDB's counters, sorted
//                               by VLAN, then MAC
//   fdb add MAC [vlan N] PORT   a static entry, in a VLAN the port carries
//   fdb del MAC [vlan N]        removes an entry, static or learned
//   fdb flush                   removes every learned entry
#ifndef ZCSWITCH_LIB_BRIDGE_FDB_COMMANDS_H_
#define ZCSWITCH_LIB_BRIDGE_FDB_COMMANDS_H_

#include <string>
#include <vector>

#include "lib/bridge/bridge.h"
#include "lib/control/command_table.h"
#include "lib/switch/fdb.h"

namespace zcswitch {

// The table text of `fdb`'s entries; `port_names` is indexed by port id.
std::string FormatFdb(const Fdb& fdb, const std::vector<std::string>& port_names);

// `bridge` must outlive `table`. Commands run on the control thread, the
// FDB's writer.
void AddFdbCommands(CommandTable& table, Bridge* bridge);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_FDB_COMMANDS_H_
