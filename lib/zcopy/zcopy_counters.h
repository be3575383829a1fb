// What zero-copy dequeue counts on each guest transmit vring: packets and
// bytes that went by reference, packets copied by reason, completions, and
// how long buffers were held.
//
// One writer at a time (the lcore that owns the vring, or the control thread
// while the vring is stopped); readers anywhere, as lib/base/counter.h says.
// Kept by the port across reconnects, like the vring's other counters.
#ifndef ZCSWITCH_LIB_ZCOPY_ZCOPY_COUNTERS_H_
#define ZCSWITCH_LIB_ZCOPY_ZCOPY_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "lib/base/counter.h"
#include "lib/base/x_list.h"

namespace zcswitch {

// Why a guest packet was copied rather than referenced. The names are the
// `reason` label of zcswitch_zcopy_copied_packets_total; scripts rely on them.
// X(id, name, help)
#define ZCSWITCH_ZCOPY_COPY_REASONS(X)                                                    \
  X(kDisabled, "disabled", "zero-copy is off, or the vring cannot use it")              \
  X(kSmall, "small", "at most copy_threshold bytes, or all header")                      \
  X(kInflightFull, "inflight_full", "the vring already holds max_inflight buffers")       \
  X(kNotPrompt, "not_prompt", "its destination does not complete promptly (a guest, a "  \
                              "software queue)")                                          \
  X(kFlood, "flood", "flooded to destinations none of which completes promptly")         \
  X(kNoReap, "no_reap", "its destination is a device whose completions cannot be reaped")

enum class CopyReason : uint8_t { ZCSWITCH_ZCOPY_COPY_REASONS(ZC_X_ID) };
inline constexpr size_t kNumCopyReasons = ZC_X_COUNT(ZCSWITCH_ZCOPY_COPY_REASONS);
inline constexpr absl::string_view kCopyReasonNames[] = {
    ZCSWITCH_ZCOPY_COPY_REASONS(ZC_X_NAME)};

struct alignas(64) ZcopyCounters {
  Counter packets;  // went to their destination by reference, completed
  Counter bytes;
  std::array<Counter, kNumCopyReasons> copied;  // by CopyReason
  Counter completions;  // descriptors returned after a hold, by reference or orphaned
  Counter held_cycles;  // TSC cycles from dequeue to completion, summed over completions
  Counter inflight;     // held now (a gauge)
  Counter inflight_max;  // the most held at once
  Counter head_in_use;   // heads made available again while still held: dropped
  Counter abandoned;     // held when the vring stopped and not back within the wait

  void CountCopy(CopyReason reason) { copied[static_cast<size_t>(reason)].Add(1); }
  void SetInflight(uint32_t n) {
    inflight.Add(n - inflight.Read());
    if (n > inflight_max.Read()) inflight_max.Add(n - inflight_max.Read());
  }
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_ZCOPY_ZCOPY_COUNTERS_H_
