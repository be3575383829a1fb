#include "lib/vhost/virtio_net_hdr.h"

#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <cstddef>
#include <cstring>

namespace zcswitch {
namespace {

constexpr uint16_t kTcpCsumOffset = offsetof(rte_tcp_hdr, cksum);
constexpr uint16_t kUdpCsumOffset = offsetof(rte_udp_hdr, dgram_cksum);

// The generic request: sum from `start` to the end, store at start + offset.
// The guest left the pseudo-header's sum (if the protocol has one) in the
// checksum field, so the plain sum over the rest completes it.
bool ChecksumNow(rte_mbuf* m, uint32_t start, uint32_t offset) {
  const uint32_t len = rte_pktmbuf_pkt_len(m);
  if (start + offset + 2 > rte_pktmbuf_data_len(m)) return false;
  uint16_t sum;
  if (rte_raw_cksum_mbuf(m, start, len - start, &sum) != 0) return false;
  sum = static_cast<uint16_t>(~sum);
  // The field may sit at any offset the guest chose: no aligned store.
  std::memcpy(rte_pktmbuf_mtod_offset(m, uint8_t*, start + offset), &sum, sizeof(sum));
  return true;
}

}  // namespace

bool ApplyOffloads(const VirtioNetHdr& hdr, rte_mbuf* m) {
  // Other flag bits (DATA_VALID) mean nothing on transmit.
  if (!(hdr.flags & kVirtioNetHdrFNeedsCsum)) return hdr.gso_type == kVirtioNetHdrGsoNone;
  rte_net_hdr_lens lens{};
  const uint32_t ptype =
      rte_net_get_ptype(m, &lens, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
  const bool v4 = RTE_ETH_IS_IPV4_HDR(ptype);
  const bool v6 = RTE_ETH_IS_IPV6_HDR(ptype);
  const uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;
  const bool at_l4 = (v4 || v6) && hdr.csum_start == lens.l2_len + lens.l3_len;
  const bool tcp = at_l4 && l4 == RTE_PTYPE_L4_TCP && hdr.csum_offset == kTcpCsumOffset;
  const bool udp = at_l4 && l4 == RTE_PTYPE_L4_UDP && hdr.csum_offset == kUdpCsumOffset;
  if (!tcp && !udp) {
    // Something other than TCP or UDP over IP (a tunnel, SCTP with a plain
    // sum): not worth carrying as a request; the copy is ours to finish.
    return hdr.gso_type == kVirtioNetHdrGsoNone && ChecksumNow(m, hdr.csum_start, hdr.csum_offset);
  }
  m->l2_len = lens.l2_len;
  m->l3_len = lens.l3_len;
  m->ol_flags |= (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) |
                 (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
  if (hdr.gso_type == kVirtioNetHdrGsoNone) return true;
  const bool matches = (hdr.gso_type == kVirtioNetHdrGsoTcpv4 && v4) ||
                       (hdr.gso_type == kVirtioNetHdrGsoTcpv6 && v6);
  if (!tcp || !matches || hdr.gso_size < kMinGsoSize) return false;
  m->l4_len = lens.l4_len;
  m->tso_segsz = hdr.gso_size;
  m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
  return true;
}

void HeaderForOffloads(const rte_mbuf* m, VirtioNetHdr& hdr) {
  const uint64_t flags = m->ol_flags;
  const uint64_t l4 = flags & RTE_MBUF_F_TX_L4_MASK;
  const bool seg = flags & RTE_MBUF_F_TX_TCP_SEG;
  if (!seg && l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM) return;
  hdr.flags = kVirtioNetHdrFNeedsCsum;
  hdr.csum_start = m->l2_len + m->l3_len;
  hdr.csum_offset = (seg || l4 == RTE_MBUF_F_TX_TCP_CKSUM) ? kTcpCsumOffset : kUdpCsumOffset;
  if (!seg) return;
  hdr.gso_type = (flags & RTE_MBUF_F_TX_IPV6) ? kVirtioNetHdrGsoTcpv6 : kVirtioNetHdrGsoTcpv4;
  hdr.gso_size = m->tso_segsz;
  hdr.hdr_len = m->l2_len + m->l3_len + m->l4_len;
}

}  // namespace zcswitch
