// virtio-net over split vrings, copy mode: packets from the guest's transmit
// vrings into mbufs, and mbufs into the guest's receive vrings (with
// VIRTIO_NET_F_MRG_RXBUF, a packet may fill several receive buffers).
//
// These run on the one lcore that owns the vring; a LiveVring is theirs while
// it is published. Every chain is walked and checked first (WalkChain); a bad
// one is returned to the guest empty and counted by reason, and the burst
// carries on. Nothing allocates outside mempools; nothing logs.
#ifndef ZCSWITCH_LIB_VHOST_VIRTIO_NET_H_
#define ZCSWITCH_LIB_VHOST_VIRTIO_NET_H_

#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "lib/base/counter.h"
#include "lib/base/mbuf_pools.h"
#include "lib/base/x_list.h"
#include "lib/vhost/desc_chain.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/split_queue.h"
#include "lib/vhost/virtio_net_hdr.h"
#include "lib/zcopy/inflight_table.h"
#include "lib/zcopy/zcopy_counters.h"
#include "lib/zcopy/zcopy_settings.h"

namespace zcswitch {

// How a vring counter shows among its port's xstats.
enum class VringCounterKind : uint8_t {
  kTransmitDrop,  // xstat "drops", reason: its name; on guest transmit vrings
  kReceiveDrop,   // xstat "drops", reason: its name; on guest receive vrings
  kNotification,  // xstat: its name; on every vring
};

// The counters a vring keeps besides its bad chains, an X-list
// (lib/base/x_list.h) whose ids are VringCounters' fields, one row each:
//   X(field, name, help, kind)
// The port's xstats, and through them `show port xstats`, /metrics and
// telemetry, show them under these names; scripts rely on the names.
#define ZCSWITCH_VRING_COUNTERS(X)                                                                \
  X(no_mbuf, "no_mbuf", "Guest packets dropped: the mempool was empty.", kTransmitDrop)           \
  X(short_packet, "short_packet", "Guest packets dropped: shorter than the header.",              \
    kTransmitDrop)                                                                                \
  X(bad_offload, "bad_offload", "Guest packets dropped: a malformed offload request.",            \
    kTransmitDrop)                                                                                \
  X(discarded, "discarded", "Guest packets taken from a disabled transmit vring.", kTransmitDrop) \
  X(too_small, "too_small", "Host packets dropped: receive buffers too small.", kReceiveDrop)     \
  X(offload_failed, "offload_failed",                                                             \
    "Host packets dropped: an offload the guest cannot take failed.", kReceiveDrop)               \
  X(calls, "calls", "Notifications (call eventfd writes) sent to the guest.", kNotification)      \
  X(kicks, "kicks", "Notifications (kick eventfd writes) the guest sent; the data path polls.",   \
    kNotification)

// Per-vring counters; written by the owning lcore (kicks: by the control
// thread, which drains the kick eventfd), kept across reconnects.
struct alignas(64) VringCounters {
  std::array<Counter, kNumChainErrors + 1> bad_chains;  // by ChainError
#define ZCSWITCH_VRING_COUNTER_FIELD(field, ...) Counter field;
  ZCSWITCH_VRING_COUNTERS(ZCSWITCH_VRING_COUNTER_FIELD)
#undef ZCSWITCH_VRING_COUNTER_FIELD
};

// Each row of ZCSWITCH_VRING_COUNTERS, for those that read the counters.
struct VringCounterInfo {
  Counter VringCounters::*counter;
  absl::string_view name;
  absl::string_view help;
  VringCounterKind kind;
};

#define ZCSWITCH_VRING_COUNTER_INFO(field, name, help, kind) \
  {&VringCounters::field, name, help, VringCounterKind::kind},
inline constexpr VringCounterInfo kVringCounters[] = {
    ZCSWITCH_VRING_COUNTERS(ZCSWITCH_VRING_COUNTER_INFO)};
#undef ZCSWITCH_VRING_COUNTER_INFO

// A vring the data path may use, with all it needs.
struct LiveVring {
  std::shared_ptr<const GuestMemory> memory;  // keeps the rings' memory mapped
  SplitQueue queue;
  int call_fd = -1;
  bool mergeable = false;  // VIRTIO_NET_F_MRG_RXBUF negotiated
  uint32_t rx_offloads = 0;  // TxOffloadCaps the guest takes in its receive header
  bool discard = false;      // a disabled transmit vring: drained, not forwarded
  VringCounters* counters = nullptr;
  // Zero-copy, on a transmit vring whose port may lend buffers: the table
  // of heads lent (owned until RetireInflight), the knobs, its counters.
  InflightTable* inflight = nullptr;
  const ZcopySettings* zcopy = nullptr;
  ZcopyCounters* zcopy_counters = nullptr;
  bool iova_is_va = true;  // an external buffer's IOVA is its address
  Chain chain;  // scratch for walks
};

// Up to `n` packets from a guest transmit vring, their headers' offload
// requests as mbuf flags. A packet is copied into mbufs from `pools` (a
// packet too large for a small mbuf goes into large ones when there are
// any) and its chain returned to the guest as used at once, unless it goes
// zero-copy: with v.inflight set, a packet longer than the copy threshold,
// while fewer than max_inflight heads (and half the ring) are lent, becomes
// a host copy of its first header_bytes (more if its offload request reads
// further) followed by external-buffer mbufs into guest memory, one per
// region-contiguous piece; its head is returned when the last of them is
// freed. Heads given back since the last burst are returned first. A head
// beyond the queue names no chain and is only counted; a head still lent is
// dropped and counted, never returned twice. A vring to discard is drained,
// and nothing is returned.
uint16_t DequeueBurst(LiveVring& v, const MbufPools& pools, rte_mbuf** pkts, uint16_t n);

// Control thread, the vring stopped (unpublished and quiesced): returns
// lent heads as they come back, for up to `wait_us` while `alive` (the
// front-end is still there to use them), then lets the table go. Heads still
// out are counted as abandoned; they will never be written to the ring, and
// the memory they point into stays mapped until they come back.
void RetireInflight(LiveVring& v, bool alive, uint32_t wait_us);

// Copies up to `n` packets into a guest receive vring, in order, and frees
// those it copied; returns how many. Offload requests the guest takes go in
// its header; a checksum it does not take is computed first. It stops at the first packet the
// available buffers cannot hold: the caller keeps that one and the rest.
uint16_t EnqueueBurst(LiveVring& v, rte_mbuf** pkts, uint16_t n);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VIRTIO_NET_H_
