#include "lib/offload/soft_offload.h"

#include <netinet/in.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>

namespace zcswitch {
namespace {

constexpr uint32_t kIpv6HeaderLen = sizeof(rte_ipv6_hdr);

// Bytes of packet one mbuf of `pool` holds.
uint32_t DataRoom(rte_mempool* pool) {
  return uint32_t{rte_pktmbuf_data_room_size(pool)} - RTE_PKTMBUF_HEADROOM;
}

// Where the L3 datagram of `m` ends: the IP header's length, not the frame's,
// which may carry Ethernet padding. 0 if the IP header is implausible.
uint32_t DatagramEnd(const rte_mbuf* m) {
  const uint32_t l3_off = m->l2_len;
  if (l3_off + m->l3_len > rte_pktmbuf_data_len(m)) return 0;
  uint32_t end;
  if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
    if (m->l3_len < sizeof(rte_ipv4_hdr)) return 0;
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l3_off);
    if (m->l3_len != rte_ipv4_hdr_len(ip)) return 0;
    end = l3_off + rte_be_to_cpu_16(ip->total_length);
  } else if (m->ol_flags & RTE_MBUF_F_TX_IPV6) {
    if (m->l3_len < kIpv6HeaderLen) return 0;
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l3_off);
    end = l3_off + kIpv6HeaderLen + rte_be_to_cpu_16(ip->payload_len);
  } else {
    return 0;
  }
  if (end < l3_off + m->l3_len || end > rte_pktmbuf_pkt_len(m)) return 0;
  return end;
}

// The checksum for the L4 header at l2_len + l3_len of `m` (its checksum
// field zeroed), `l4_len` bytes long, pseudo-header included; complemented
// and in network order, ready to store. False if the bytes are not there.
bool L4Checksum(const rte_mbuf* m, uint32_t l4_len, uint8_t proto, uint16_t& out) {
  const uint32_t l3_off = m->l2_len;
  uint32_t sum;
  // The pseudo-header: addresses, then length and protocol. rte_raw_cksum
  // sums the bytes as they lie, so the two numbers go in network order too.
  if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, l3_off);
    sum = rte_raw_cksum(&ip->src_addr, 2 * sizeof(ip->src_addr));
  } else {
    const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv6_hdr*, l3_off);
    sum = rte_raw_cksum(ip->src_addr, 2 * sizeof(ip->src_addr));
  }
  sum += rte_cpu_to_be_16(static_cast<uint16_t>(l4_len));
  sum += rte_cpu_to_be_16(proto);
  uint16_t payload;
  if (rte_raw_cksum_mbuf(m, l3_off + m->l3_len, l4_len, &payload) != 0) return false;
  sum += payload;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  out = static_cast<uint16_t>(~sum);
  // In UDP an all-zero checksum means "none"; zero is sent as all ones.
  if (out == 0 && proto == IPPROTO_UDP) out = 0xffff;
  return true;
}

}  // namespace

bool ResolveChecksum(rte_mbuf* m) {
  const uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
  uint32_t field;
  uint8_t proto;
  if (l4 == RTE_MBUF_F_TX_TCP_CKSUM) {
    field = offsetof(rte_tcp_hdr, cksum);
    proto = IPPROTO_TCP;
  } else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
    field = offsetof(rte_udp_hdr, dgram_cksum);
    proto = IPPROTO_UDP;
  } else {
    return false;
  }
  const uint32_t l4_off = m->l2_len + m->l3_len;
  const uint32_t end = DatagramEnd(m);
  if (end == 0 || l4_off + field + 2 > std::min(end, uint32_t{rte_pktmbuf_data_len(m)})) {
    return false;
  }
  auto* cksum = rte_pktmbuf_mtod_offset(m, uint8_t*, l4_off + field);
  uint16_t value = 0;
  std::memcpy(cksum, &value, sizeof(value));
  if (!L4Checksum(m, end - l4_off, proto, value)) return false;
  std::memcpy(cksum, &value, sizeof(value));
  m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
  return true;
}

TcpSegmenter::TcpSegmenter(const rte_mbuf* packet) : packet_(packet) {
  end_ = DatagramEnd(packet);
  header_len_ = packet->l2_len + packet->l3_len + packet->l4_len;
  offset_ = header_len_;
  failed_ = !(packet->ol_flags & RTE_MBUF_F_TX_TCP_SEG) || packet->tso_segsz == 0 ||
            packet->l4_len < sizeof(rte_tcp_hdr) || end_ == 0 || header_len_ > end_ ||
            header_len_ > rte_pktmbuf_data_len(packet);
}

uint16_t TcpSegmenter::Next(const MbufPools& pools, rte_mbuf** out, uint16_t n) {
  uint16_t made = 0;
  // A request with no payload at all still goes out, as one bare segment.
  while (!failed_ && made < n && (offset_ < end_ || index_ == 0)) {
    const uint32_t len = std::min<uint32_t>(packet_->tso_segsz, end_ - offset_);
    rte_mbuf* segment = MakeSegment(pools, len);
    if (segment == nullptr) {
      failed_ = true;
      break;
    }
    out[made++] = segment;
    offset_ += len;
    ++index_;
  }
  return made;
}

rte_mbuf* TcpSegmenter::MakeSegment(const MbufPools& pools, uint32_t payload_len) {
  const uint32_t len = header_len_ + payload_len;
  rte_mempool* pool = pools.small;
  if (len > DataRoom(pool)) {
    pool = pools.large;
    if (pool == nullptr || len > DataRoom(pool)) {
      return nullptr;
    }
  }
  rte_mbuf* s = rte_pktmbuf_alloc(pool);
  if (s == nullptr) return nullptr;
  auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(s, static_cast<uint16_t>(len)));
  std::memcpy(data, rte_pktmbuf_mtod(packet_, const uint8_t*), header_len_);
  const void* payload = rte_pktmbuf_read(packet_, offset_, payload_len, data + header_len_);
  if (payload == nullptr) {
    rte_pktmbuf_free(s);
    return nullptr;
  }
  if (payload != data + header_len_) std::memcpy(data + header_len_, payload, payload_len);

  s->ol_flags = packet_->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
  s->l2_len = packet_->l2_len;
  s->l3_len = packet_->l3_len;
  uint8_t* l3 = data + s->l2_len;
  const uint32_t l4_len = packet_->l4_len + payload_len;
  if (s->ol_flags & RTE_MBUF_F_TX_IPV4) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(l3);
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(s->l3_len + l4_len));
    // As Linux's own segmentation does: consecutive IDs.
    ip->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(rte_be_to_cpu_16(ip->packet_id) + index_));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  } else {
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(l3);
    ip->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(s->l3_len - kIpv6HeaderLen + l4_len));
  }
  auto* tcp = reinterpret_cast<rte_tcp_hdr*>(l3 + s->l3_len);
  tcp->sent_seq =
      rte_cpu_to_be_32(rte_be_to_cpu_32(tcp->sent_seq) + (offset_ - header_len_));
  // FIN and PSH belong to the last segment only, CWR to the first.
  if (offset_ + payload_len < end_) {
    tcp->tcp_flags &= ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
  }
  if (index_ != 0) tcp->tcp_flags &= ~RTE_TCP_CWR_FLAG;
  tcp->cksum = 0;
  uint16_t cksum;
  L4Checksum(s, l4_len, IPPROTO_TCP, cksum);  // the bytes were just written
  tcp->cksum = cksum;
  s->ol_flags = 0;
  return s;
}

}  // namespace zcswitch
