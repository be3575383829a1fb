// The forwarding modes as one table, in the spirit of testpmd's fwd_engines[]:
// each mode's file exports one FwdMode row (name, help, whether it needs port
// pairs, and how to build its engine for a port table), and FwdModes() lists
// the rows. Configuration parsing, `set fwd`, usage and help text all read
// the table, so adding a mode is one file and one row in fwd_mode.cc.
#ifndef ZCSWITCH_LIB_SWITCH_FWD_MODE_H_
#define ZCSWITCH_LIB_SWITCH_FWD_MODE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/switch/fdb.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/vlan.h"

namespace zcswitch {

// What an engine may be built from: the port table as it is when the engine
// is built (engines are rebuilt whenever a port comes or goes).
struct FwdModeContext {
  Fdb* fdb = nullptr;                          // outlives every engine
  const VlanMap* vlans = nullptr;              // index = port id
  absl::Span<const std::string> port_names;    // index = port id; "" for a free id
  // Pairs whose two ports are both in the table.
  absl::Span<const std::pair<std::string, std::string>> pairs;
  unsigned lcores = 1;                         // forwarding lcores calling Forward
};

struct FwdMode {
  absl::string_view name;
  absl::string_view help;
  // Whether the mode forwards between the configured port pairs
  // (forwarding.pairs); without any, it is refused.
  bool needs_pairs = false;
  absl::StatusOr<std::unique_ptr<FwdEngine>> (*create)(const FwdModeContext& context) = nullptr;
};

// Every mode, the default (l2switch) first.
absl::Span<const FwdMode* const> FwdModes();
// The mode called `name`, or nullptr.
const FwdMode* FindFwdMode(absl::string_view name);
// "l2switch|io|macswap", for usage lines.
std::string FwdModeChoices(absl::string_view separator = "|");

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FWD_MODE_H_
