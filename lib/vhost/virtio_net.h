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

#include "lib/base/counter.h"
#include "lib/vhost/desc_chain.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/split_queue.h"

namespace zcswitch {

// The virtio-net header with VIRTIO_F_VERSION_1: always 12 bytes.
struct VirtioNetHdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
  uint16_t num_buffers;
};
static_assert(sizeof(VirtioNetHdr) == 12);

// Per-vring counters; written by the owning lcore, kept across reconnects.
struct alignas(64) VringCounters {
  std::array<Counter, kNumChainErrors + 1> bad_chains;  // by ChainError
  Counter no_mbuf;     // guest packets dropped: the mempool was empty
  Counter short_packet;  // guest packets dropped: shorter than the header
  Counter too_small;   // host packets dropped: receive buffers too small
  Counter calls;       // notifications sent to the guest

};

// A vring the data path may use, with all it needs.
struct LiveVring {
  std::shared_ptr<const GuestMemory> memory;  // keeps the rings' memory mapped
  SplitQueue queue;
  int call_fd = -1;
  bool mergeable = false;  // VIRTIO_NET_F_MRG_RXBUF negotiated
  VringCounters* counters = nullptr;
  Chain chain;  // scratch for walks
};

// Where dequeued packets are copied to: `small` mbufs, or, for a packet that
// does not fit one, a single mbuf from `large` (when given and not empty)
// rather than a chain of small ones.
struct DequeuePools {
  rte_mempool* small;
  rte_mempool* large;
};

// Up to `n` packets from a guest transmit vring, copied into mbufs. Every
// chain taken is returned to the guest as used.
uint16_t DequeueBurst(LiveVring& v, const DequeuePools& pools, rte_mbuf** pkts, uint16_t n);

// Copies up to `n` packets into a guest receive vring, in order, and frees
// those it copied; returns how many. It stops at the first packet the
// available buffers cannot hold: the caller keeps that one and the rest.
uint16_t EnqueueBurst(LiveVring& v, rte_mbuf** pkts, uint16_t n);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VIRTIO_NET_H_
