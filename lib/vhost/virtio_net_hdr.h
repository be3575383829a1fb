// The virtio-net header in front of every packet, and the offloads it
// carries: a guest's checksum and segmentation requests become mbuf offload
// flags (see lib/offload/soft_offload.h), and a packet's flags become the
// header a guest receives when it negotiated taking them.
//
// The header comes from the guest and is not trusted: a request that does
// not match the packet it rides on, or that was not offered, is refused and
// the packet dropped. The packet bytes are read from the host's copy.
#ifndef ZCSWITCH_LIB_VHOST_VIRTIO_NET_HDR_H_
#define ZCSWITCH_LIB_VHOST_VIRTIO_NET_HDR_H_

#include <rte_mbuf.h>

#include <cstdint>

namespace zcswitch {

// With VIRTIO_F_VERSION_1 the header is always 12 bytes.
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

inline constexpr uint8_t kVirtioNetHdrFNeedsCsum = 1;
inline constexpr uint8_t kVirtioNetHdrGsoNone = 0;
inline constexpr uint8_t kVirtioNetHdrGsoTcpv4 = 1;
inline constexpr uint8_t kVirtioNetHdrGsoTcpv6 = 4;

// Segments below this size are refused: a guest could otherwise turn one
// 64 KB packet into thousands of host-made ones.
inline constexpr uint16_t kMinGsoSize = 64;

// Whether `hdr` asks for anything at all; cheap, for the fast path.
inline bool HasOffloads(const VirtioNetHdr& hdr) {
  return hdr.flags != 0 || hdr.gso_type != kVirtioNetHdrGsoNone;
}

// Turns the requests of a guest's transmit header into offload flags on `m`,
// its packet. A checksum request TCP or UDP over IP does not describe is
// done here and now, over the host's copy. False: the header is malformed
// (segmentation of anything but TCP, or not matching the packet).
bool ApplyOffloads(const VirtioNetHdr& hdr, rte_mbuf* m);

// The receive header for `m`, for a guest that takes every request `m`
// carries (the caller checks); num_buffers is left to the caller.
void HeaderForOffloads(const rte_mbuf* m, VirtioNetHdr& hdr);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VIRTIO_NET_HDR_H_
