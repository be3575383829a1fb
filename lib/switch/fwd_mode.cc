#include "lib/switch/fwd_mode.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/switch/fwd_io.h"
#include "lib/switch/fwd_l2switch.h"
#include "lib/switch/fwd_macswap.h"

namespace zcswitch {
namespace {

// One row per mode; the first is the default.
constexpr const FwdMode* kModes[] = {&kL2SwitchMode, &kIoMode, &kMacswapMode};

}  // namespace

absl::Span<const FwdMode* const> FwdModes() { return kModes; }

const FwdMode* FindFwdMode(absl::string_view name) {
  for (const FwdMode* mode : kModes) {
    if (mode->name == name) return mode;
  }
  return nullptr;
}

std::string FwdModeChoices(absl::string_view separator) {
  return absl::StrJoin(kModes, separator, [](std::string* out, const FwdMode* mode) {
    absl::StrAppend(out, mode->name);
  });
}

}  // namespace zcswitch
