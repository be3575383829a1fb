// Zero-copy's commands:
//   show zcopy [NAME]             the settings; per port how it takes lent
//                                 packets (its target), per guest queue
//                                 packets and bytes lent, copies by reason,
//                                 buffers in flight, completions, hold time;
//                                 per reaped queue its reaps
//   set zcopy on|off              lend guest buffers, or copy everything
//   set zcopy copy_threshold N    and max_inflight, reap_us, header_bytes:
//                                 the `zcopy:` keys, with the same ranges
//
// `show zcopy` reads what the ports publish as xstats
// (lib/switch/zcopy_xstats.h) and Port::zcopy_target() in a snapshot, so it
// knows no port type; its counters run from the port's start (`clear port
// stats` clears xstats' display only). Settings change at once, for the
// next burst of every lcore (ZcopySettings).
#ifndef ZCSWITCH_LIB_BRIDGE_ZCOPY_COMMANDS_H_
#define ZCSWITCH_LIB_BRIDGE_ZCOPY_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "lib/bridge/bridge.h"
#include "lib/control/command_table.h"
#include "lib/dataplane/switch_snapshot.h"
#include "lib/zcopy/zcopy_settings.h"

namespace zcswitch {

// `bridge` must outlive `table`.
void AddZcopyCommands(CommandTable& table, Bridge* bridge);

// The same on parts: `settings`, a snapshot of every port's xstats and
// target (SnapshotDepth::kCounters will do), and the port names there are.
// Each must outlive `table`.
void AddZcopyCommands(CommandTable& table, ZcopySettings* settings,
                      std::function<SwitchSnapshot()> snapshot,
                      std::function<std::vector<std::string>()> port_names);

// `show zcopy`'s reply for the ports of `snapshot`.
CommandReply ZcopyReply(const ZcopySettings::Values& settings, const SwitchSnapshot& snapshot);

// What the guests lent and copied between `before` and `now` (of the same
// ports), a line per port that did either, for the daemon's periodic
// report; empty when none did.
std::string FormatZcopyActivity(const SwitchSnapshot& now, const SwitchSnapshot& before);

// The ports of `snapshot` whose guest is connected and took IN_ORDER, so
// that they lend nothing whatever the settings say: they offered it because
// zero-copy was off when they were added.
std::vector<std::string> PortsNotLending(const SwitchSnapshot& snapshot);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_ZCOPY_COMMANDS_H_
