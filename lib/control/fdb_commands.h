// The FDB as people and scripts see it: `show fdb` replies with every entry
// (MAC, VLAN, port name, static or learned, age) and the FDB's counters, as
// JSON and as an aligned table, sorted by VLAN, then MAC.
#ifndef ZCSWITCH_LIB_CONTROL_FDB_COMMANDS_H_
#define ZCSWITCH_LIB_CONTROL_FDB_COMMANDS_H_

#include <string>
#include <vector>

#include "lib/control/command_table.h"
#include "lib/switch/fdb.h"

namespace zcswitch {

// The table text of `fdb`'s entries; `port_names` is indexed by port id.
std::string FormatFdb(const Fdb& fdb, const std::vector<std::string>& port_names);

// `fdb` and `port_names` must outlive `table`; commands run on the control
// thread, which is the FDB's writer.
void AddFdbCommands(CommandTable& table, const Fdb* fdb, std::vector<std::string> port_names);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_FDB_COMMANDS_H_
