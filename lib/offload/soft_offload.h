// Transmit offloads done in software, for a destination that cannot do them.
//
// A packet asks for offloads as DPDK's transmit offload flags put it:
//   - RTE_MBUF_F_TX_TCP_CKSUM or _UDP_CKSUM, with RTE_MBUF_F_TX_IPV4 or _IPV6,
//     l2_len and l3_len: its L4 checksum is still to be computed;
//   - RTE_MBUF_F_TX_TCP_SEG as well, with l4_len and tso_segsz: it is a TCP
//     packet larger than the wire takes, to be cut into segments carrying
//     tso_segsz payload bytes each.
// Guests ask for them in their virtio-net headers (lib/vhost). A request
// travels with the packet to its destination port, which either does it
// itself (a guest that negotiated it) or has it done here, at the last hop:
// a packet between two guests crosses the switch as one large frame.
//
// Headers (L2 to L4) must lie in the packet's first segment; a packet whose
// do not, or whose lengths disagree, is refused and the caller drops it.
// Nothing here allocates outside mempools or logs.
#ifndef ZCSWITCH_LIB_OFFLOAD_SOFT_OFFLOAD_H_
#define ZCSWITCH_LIB_OFFLOAD_SOFT_OFFLOAD_H_

#include <rte_mbuf.h>

#include <cstdint>

#include "lib/base/mbuf_pools.h"

namespace zcswitch {

// What a port does itself, as a bit set.
enum TxOffloadCaps : uint32_t {
  kTxOffloadL4Csum = 1u << 0,  // TCP and UDP checksums (IPv4 and IPv6)
  kTxOffloadTcpSeg = 1u << 1,  // TCP segmentation (IPv4 and IPv6)
};

inline constexpr uint64_t kTxOffloadRequests = RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG;

// The requests of `m` that a port with `caps` cannot do (TxOffloadCaps);
// 0 for almost every packet, after one load of its flags.
inline uint32_t MissingOffloads(const rte_mbuf* m, uint32_t caps) {
  const uint64_t flags = m->ol_flags;
  if ((flags & kTxOffloadRequests) == 0) return 0;
  const uint32_t need = (flags & RTE_MBUF_F_TX_TCP_SEG) ? kTxOffloadTcpSeg : kTxOffloadL4Csum;
  return need & ~caps;
}

// Computes the L4 checksum `m` asks for, in place, and clears the request.
// False if the packet is not what its flags and lengths say.
bool ResolveChecksum(rte_mbuf* m);

// Cuts a TCP segmentation request into wire-sized packets, a batch at a time,
// each a copy in one mbuf with its own headers (IP length and ID, TCP
// sequence number and flags) and checksums, requesting nothing further.
// The source packet is only read; the caller frees it.
class TcpSegmenter {
 public:
  explicit TcpSegmenter(const rte_mbuf* packet);

  // Up to `n` next segments into `out`; 0 once done, or on failure.
  uint16_t Next(const MbufPools& pools, rte_mbuf** out, uint16_t n);
  // The request was malformed, or the pools ran dry: not every segment came.
  bool failed() const { return failed_; }

 private:
  rte_mbuf* MakeSegment(const MbufPools& pools, uint32_t payload_len);

  const rte_mbuf* packet_;
  uint32_t header_len_ = 0;  // L2 + L3 + L4
  uint32_t end_ = 0;         // of the IP datagram in the packet
  uint32_t offset_ = 0;      // of the next payload byte in the packet
  uint16_t index_ = 0;       // of the next segment
  bool failed_ = false;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_OFFLOAD_SOFT_OFFLOAD_H_
