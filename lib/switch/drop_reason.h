// Why the data path dropped a packet. One list feeds the enum, the names the
// CLI and metrics print, and the tests, so a reason is never spelt two ways.
#ifndef ZCSWITCH_LIB_SWITCH_DROP_REASON_H_
#define ZCSWITCH_LIB_SWITCH_DROP_REASON_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace zcswitch {

// X(enumerator, name, description)
#define ZCSWITCH_DROP_REASONS(X)                                           \
  X(kNoRoute, "no_route", "the forwarding mode had no destination for it")     \
  X(kVlanFilter, "vlan_filter", "its VLAN is not one the port carries")          \
  X(kTxFull, "tx_full", "the destination queue stayed full after retries")     \
  X(kLinkDown, "link_down", "the destination port's link was down")            \
  X(kOffload, "offload", "its checksum, segmentation or VLAN tag could not be done") \
  X(kNoMbuf, "no_mbuf", "no mbuf was free for a flood's copy of it")           \
  X(kRunt, "runt", "shorter than an Ethernet header")

enum class DropReason : size_t {
#define ZCSWITCH_DROP_ENUM(e, name, help) e,
  ZCSWITCH_DROP_REASONS(ZCSWITCH_DROP_ENUM)
#undef ZCSWITCH_DROP_ENUM
};

inline constexpr size_t kNumDropReasons = 0
#define ZCSWITCH_DROP_COUNT(e, name, help) +1
    ZCSWITCH_DROP_REASONS(ZCSWITCH_DROP_COUNT)
#undef ZCSWITCH_DROP_COUNT
    ;

constexpr absl::string_view DropReasonName(DropReason reason) {
  constexpr absl::string_view kNames[] = {
#define ZCSWITCH_DROP_NAME(e, name, help) name,
      ZCSWITCH_DROP_REASONS(ZCSWITCH_DROP_NAME)
#undef ZCSWITCH_DROP_NAME
  };
  return kNames[static_cast<size_t>(reason)];
}

constexpr absl::string_view DropReasonHelp(DropReason reason) {
  constexpr absl::string_view kHelp[] = {
#define ZCSWITCH_DROP_HELP(e, name, help) help,
      ZCSWITCH_DROP_REASONS(ZCSWITCH_DROP_HELP)
#undef ZCSWITCH_DROP_HELP
  };
  return kHelp[static_cast<size_t>(reason)];
}

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_DROP_REASON_H_
