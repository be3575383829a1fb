// What zero-copy shows of a port, as xstats (Port::AppendXstats): a
// vhost-user port's per-vring counters (lib/zcopy/zcopy_counters.h) under
// its RX queues ("rx<q>", the guest's transmit vring of pair q), and a
// reaped port's reaps under its TX queues. Through the xstats they reach
// `show port xstats`, `show zcopy`, /metrics and DPDK telemetry, under the
// names of one list.
//
// In /metrics they are families of their own, zcswitch_zcopy_*, whatever
// the port type: counters summed over the port's queues (labels port, and
// reason for copies), gauges per queue (labels port and queue).
#ifndef ZCSWITCH_LIB_SWITCH_ZCOPY_XSTATS_H_
#define ZCSWITCH_LIB_SWITCH_ZCOPY_XSTATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "lib/base/x_list.h"
#include "lib/switch/port.h"
#include "lib/switch/port_stats.h"
#include "lib/zcopy/zcopy_counters.h"

namespace zcswitch {

// X(id, name, help, metric, kind): the xstat's name, what it counts (HELP),
// its /metrics family and XstatKind. Scripts rely on the names.
#define ZCSWITCH_ZCOPY_XSTATS(X)                                                               \
  X(kPackets, "zcopy_packets",                                                                 \
    "Guest packets that went to their destination by reference (zero-copy), counted as their " \
    "buffers came back.",                                                                      \
    "zcswitch_zcopy_packets_total", kCounter)                                                  \
  X(kBytes, "zcopy_bytes", "Bytes of the guest packets that went by reference.",              \
    "zcswitch_zcopy_bytes_total", kCounter)                                                    \
  X(kCopied, "zcopy_copied", "Guest packets copied rather than lent by reference, by reason.", \
    "zcswitch_zcopy_copied_packets_total", kCounter)                                           \
  X(kCompletions, "zcopy_completions",                                                         \
    "Lent guest buffers given back, whether they went by reference or were copied later.",     \
    "zcswitch_zcopy_completions_total", kCounter)                                              \
  X(kHoldUs, "zcopy_hold_us",                                                                  \
    "Microseconds lent guest buffers were held, summed over completions.",                     \
    "zcswitch_zcopy_hold_microseconds_total", kCounter)                                        \
  X(kInflight, "zcopy_inflight", "Guest buffers lent now.", "zcswitch_zcopy_inflight", kGauge) \
  X(kInflightMax, "zcopy_inflight_max", "The most guest buffers lent at once.",                \
    "zcswitch_zcopy_inflight_max", kGauge)                                                     \
  X(kHeadInUse, "zcopy_head_in_use",                                                           \
    "Descriptors a guest made available again while still lent to the switch: dropped.",       \
    "zcswitch_zcopy_head_in_use_total", kCounter)                                              \
  X(kAbandoned, "zcopy_abandoned",                                                             \
    "Lent buffers not back when their vring stopped, never returned to the guest.",            \
    "zcswitch_zcopy_abandoned_total", kCounter)                                                \
  X(kCanLend, "zcopy_can_lend",                                                                 \
    "1 while a guest transmit vring can lend its buffers (zero-copy on or off): it runs, and "  \
    "its guest did not take IN_ORDER.",                                                        \
    "zcswitch_zcopy_can_lend", kGauge)                                                          \
  X(kReaps, "zcopy_reaps",                                                                     \
    "Times a TX queue was made to free what its device had sent, so that lent buffers came "   \
    "back.",                                                                                   \
    "zcswitch_zcopy_reaps_total", kCounter)

enum class ZcopyXstat : uint8_t { ZCSWITCH_ZCOPY_XSTATS(ZC_X_ID) };
inline constexpr size_t kNumZcopyXstats = ZC_X_COUNT(ZCSWITCH_ZCOPY_XSTATS);

struct ZcopyXstatInfo {
  absl::string_view name;
  absl::string_view help;
  absl::string_view metric;
  XstatKind kind;
};

#define ZC_ZCOPY_XSTAT_INFO(id, name, help, metric, kind) {name, help, metric, XstatKind::kind},
inline constexpr ZcopyXstatInfo kZcopyXstats[] = {ZCSWITCH_ZCOPY_XSTATS(ZC_ZCOPY_XSTAT_INFO)};
#undef ZC_ZCOPY_XSTAT_INFO

inline const ZcopyXstatInfo& ZcopyXstatOf(ZcopyXstat x) {
  return kZcopyXstats[static_cast<size_t>(x)];
}

// The zero-copy xstat called `name`, or nullptr.
const ZcopyXstatInfo* FindZcopyXstat(absl::string_view name);

// An xstat of the list, on `queue`.
PortXstat MakeZcopyXstat(ZcopyXstat x, std::string queue, uint64_t value, std::string reason = "");

// `cycles` of a TSC at `hz` in microseconds, without overflow; 0 when hz is.
uint64_t CyclesToMicroseconds(uint64_t cycles, uint64_t hz);

// A guest transmit vring's counters, on the port's RX queue `rx_queue`;
// `can_lend`: whether it may lend, whether or not zero-copy is on now;
// `tsc_hz` turns held cycles into microseconds.
void AppendZcopyXstats(const ZcopyCounters& counters, bool can_lend, uint16_t rx_queue,
                       uint64_t tsc_hz, std::vector<PortXstat>& out);

// Port::reaps() of each TX queue, for a port whose target is kReaped (the
// only ports ever reaped); nothing for the others.
void AppendReapXstats(const Port& port, std::vector<PortXstat>& out);

// How a port takes zero-copy packets: for people ("copy: not prompt") and
// for scripts ("copy_not_prompt").
absl::string_view ZcopyTargetText(ZcopyTarget target);
absl::string_view ZcopyTargetName(ZcopyTarget target);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_ZCOPY_XSTATS_H_
