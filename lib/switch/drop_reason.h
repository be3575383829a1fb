// Why the data path dropped a packet. One list feeds the enum, the names the
// CLI and metrics print, and the tests, so a reason is never spelt two ways.
#ifndef ZCSWITCH_LIB_SWITCH_DROP_REASON_H_
#define ZCSWITCH_LIB_SWITCH_DROP_REASON_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "lib/base/x_list.h"

namespace zcswitch {

// X(enumerator, name, description)
#define ZCSWITCH_DROP_REASONS(X)                                                     \
  X(kNoRoute, "no_route", "the forwarding mode had no destination for it")           \
  X(kVlanFilter, "vlan_filter", "its VLAN is not one the port carries")              \
  X(kTxFull, "tx_full", "the destination queue stayed full after retries")           \
  X(kLinkDown, "link_down", "the destination port's link was down")                  \
  X(kOffload, "offload", "its checksum, segmentation or VLAN tag could not be done") \
  X(kNoMbuf, "no_mbuf", "no mbuf was free for a flood's copy of it")                 \
  X(kRunt, "runt", "shorter than an Ethernet header")

enum class DropReason : size_t { ZCSWITCH_DROP_REASONS(ZC_X_ID) };

inline constexpr size_t kNumDropReasons = ZC_X_COUNT(ZCSWITCH_DROP_REASONS);

constexpr absl::string_view DropReasonName(DropReason reason) {
  constexpr absl::string_view kNames[] = {ZCSWITCH_DROP_REASONS(ZC_X_NAME)};
  return kNames[static_cast<size_t>(reason)];
}

constexpr absl::string_view DropReasonHelp(DropReason reason) {
  constexpr absl::string_view kHelp[] = {ZCSWITCH_DROP_REASONS(ZC_X_HELP)};
  return kHelp[static_cast<size_t>(reason)];
}

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_DROP_REASON_H_
