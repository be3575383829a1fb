// Offloads on real mbufs: virtio-net headers to mbuf flags and back
// (lib/vhost/virtio_net_hdr), checksums and TCP segmentation in software
// (lib/offload), and SendBurst choosing between them per destination.
// Checksums are checked against a plain implementation written here.
#include <netinet/in.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "lib/offload/soft_offload.h"
#include "lib/switch/fwd_engine.h"
#include "lib/vhost/virtio_net_hdr.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
namespace {

struct Spec {
  bool v6 = false;
  uint8_t proto = IPPROTO_TCP;
  bool vlan = false;
  uint32_t payload = 100;
  uint8_t tcp_flags = 0x18;  // PSH, ACK
};

constexpr uint32_t kTcpSeq = 1000000;
constexpr uint16_t kIpId = 0x1234;

uint32_t L2Len(const Spec& s) { return s.vlan ? 18 : 14; }
uint32_t L3Len(const Spec& s) { return s.v6 ? 40 : 20; }
uint32_t L4HdrLen(const Spec& s) {
  return s.proto == IPPROTO_TCP ? 20 : s.proto == IPPROTO_UDP ? 8 : 4;
}
uint32_t L4Off(const Spec& s) { return L2Len(s) + L3Len(s); }
uint32_t CsumField(const Spec& s) { return s.proto == IPPROTO_TCP ? 16 : s.proto == IPPROTO_UDP ? 6 : 2; }

void Put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = v >> 8;
  f[at + 1] = v & 0xff;
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) { return uint32_t{Get16(p)} << 16 | Get16(p + 2); }

// Ones' complement sum of big-endian 16-bit words, not folded.
uint32_t Sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += Get16(p + i);
  if (len % 2) sum += p[len - 1] << 8;
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The pseudo-header sum of the L4 datagram in `f`.
uint32_t PseudoSum(const std::vector<uint8_t>& f, const Spec& s) {
  const uint32_t l3 = L2Len(s);
  const uint32_t l4_len = static_cast<uint32_t>(f.size()) - L4Off(s);
  const uint32_t sum = s.v6 ? Sum(&f[l3 + 8], 32) : Sum(&f[l3 + 12], 8);
  return sum + l4_len + s.proto;
}

// Whether the L4 checksum in `f` is right (TCP, UDP with pseudo-header).
bool L4ChecksumValid(const uint8_t* f, size_t len, const Spec& s) {
  std::vector<uint8_t> v(f, f + len);
  return Fold(Sum(&v[L4Off(s)], len - L4Off(s), PseudoSum(v, s))) == 0xffff;
}
bool Ipv4HeaderValid(const uint8_t* f, const Spec& s) {
  return Fold(Sum(f + L2Len(s), 20)) == 0xffff;
}

// A frame as a guest's stack hands it over for offload: the L4 checksum
// field holds the pseudo-header sum only.
std::vector<uint8_t> Frame(const Spec& s) {
  const uint32_t l4_len = L4HdrLen(s) + s.payload;
  std::vector<uint8_t> f(L4Off(s) + l4_len, 0);
  // Destination 02:02:02:02:02:01, source 02:02:02:02:02:02.
  std::fill(f.begin(), f.begin() + 12, 2);
  f[5] = 1;
  size_t at = 12;
  if (s.vlan) {
    Put16(f, at, 0x8100);
    Put16(f, at + 2, 10);
    at += 4;
  }
  Put16(f, at, s.v6 ? 0x86dd : 0x0800);
  const uint32_t l3 = L2Len(s);
  if (s.v6) {
    f[l3] = 0x60;
    Put16(f, l3 + 4, static_cast<uint16_t>(l4_len));
    f[l3 + 6] = s.proto;
    f[l3 + 7] = 64;
    f[l3 + 8] = 0xfd, f[l3 + 23] = 1;   // fd00::1
    f[l3 + 24] = 0xfd, f[l3 + 39] = 2;  // fd00::2
  } else {
    f[l3] = 0x45;
    Put16(f, l3 + 2, static_cast<uint16_t>(20 + l4_len));
    Put16(f, l3 + 4, kIpId);
    Put16(f, l3 + 6, 0x4000);  // DF
    f[l3 + 8] = 64;
    f[l3 + 9] = s.proto;
    f[l3 + 12] = 10, f[l3 + 15] = 1;
    f[l3 + 16] = 10, f[l3 + 19] = 2;
    Put16(f, l3 + 10, static_cast<uint16_t>(~Fold(Sum(&f[l3], 20))));
  }
  const uint32_t l4 = L4Off(s);
  if (s.proto == IPPROTO_TCP) {
    Put16(f, l4, 1000);
    Put16(f, l4 + 2, 2000);
    Put16(f, l4 + 4, kTcpSeq >> 16);
    Put16(f, l4 + 6, kTcpSeq & 0xffff);
    f[l4 + 12] = 0x50;
    f[l4 + 13] = s.tcp_flags;
    Put16(f, l4 + 14, 0xffff);
  } else if (s.proto == IPPROTO_UDP) {
    Put16(f, l4, 1000);
    Put16(f, l4 + 2, 2000);
    Put16(f, l4 + 4, static_cast<uint16_t>(l4_len));
  }
  for (uint32_t i = 0; i < s.payload; ++i) f[l4 + L4HdrLen(s) + i] = static_cast<uint8_t>(i * 7 + 3);
  if (s.proto == IPPROTO_TCP || s.proto == IPPROTO_UDP) {
    Put16(f, l4 + CsumField(s), Fold(PseudoSum(f, s)));
  }
  return f;
}

// `f` in an mbuf chain whose segments hold at most `seg` bytes each.
rte_mbuf* ToMbuf(const std::vector<uint8_t>& f, uint32_t seg = 2048) {
  rte_mbuf* head = nullptr;
  rte_mbuf* tail = nullptr;
  for (size_t off = 0; off < f.size(); off += seg) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    EXPECT_NE(m, nullptr);
    const auto n = static_cast<uint16_t>(std::min<size_t>(seg, f.size() - off));
    std::memcpy(rte_pktmbuf_append(m, n), &f[off], n);
    if (head == nullptr) {
      head = tail = m;
    } else {
      EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
      tail = m;
    }
  }
  return head;
}

std::vector<uint8_t> Bytes(const rte_mbuf* m) {
  std::vector<uint8_t> out(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, out.size(), out.data());
  if (p != out.data()) std::memcpy(out.data(), p, out.size());
  return out;
}

VirtioNetHdr CsumHeader(const Spec& s) {
  VirtioNetHdr h{};
  h.flags = kVirtioNetHdrFNeedsCsum;
  h.csum_start = static_cast<uint16_t>(L4Off(s));
  h.csum_offset = static_cast<uint16_t>(CsumField(s));
  return h;
}

VirtioNetHdr TsoHeader(const Spec& s, uint16_t mss) {
  VirtioNetHdr h = CsumHeader(s);
  h.gso_type = s.v6 ? kVirtioNetHdrGsoTcpv6 : kVirtioNetHdrGsoTcpv4;
  h.gso_size = mss;
  h.hdr_len = static_cast<uint16_t>(L4Off(s) + 20);
  return h;
}

class OffloadTest : public ::testing::Test {
 protected:
  void SetUp() override { in_use_before_ = rte_mempool_in_use_count(g_pool); }
  void TearDown() override {
    for (rte_mbuf* m : owned_) rte_pktmbuf_free(m);
    a_.reset();
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), in_use_before_);
  }
  rte_mbuf* Own(rte_mbuf* m) {
    owned_.push_back(m);
    return m;
  }
  FwdContext Ctx() {
    ports_ = {a_.get()};
    return FwdContext{absl::MakeConstSpan(ports_), 0, 0, {g_pool, nullptr}};
  }

  std::vector<rte_mbuf*> owned_;
  std::unique_ptr<ScriptedPort> a_ = std::make_unique<ScriptedPort>("a");
  std::vector<Port*> ports_;
  unsigned in_use_before_ = 0;
};

TEST_F(OffloadTest, NoRequestLeavesThePacketAlone) {
  const Spec s;
  rte_mbuf* m = Own(ToMbuf(Frame(s)));
  const VirtioNetHdr h{};
  EXPECT_FALSE(HasOffloads(h));
  EXPECT_TRUE(ApplyOffloads(h, m));
  EXPECT_EQ(m->ol_flags & kTxOffloadRequests, 0u);
  EXPECT_EQ(MissingOffloads(m, 0), 0u);
}

TEST_F(OffloadTest, ChecksumRequestsBecomeFlagsAndResolveToValidChecksums) {
  for (const Spec s : {Spec{}, Spec{.v6 = true}, Spec{.proto = IPPROTO_UDP},
                       Spec{.v6 = true, .proto = IPPROTO_UDP, .vlan = true},
                       Spec{.vlan = true, .payload = 1333}}) {
    SCOPED_TRACE(testing::Message() << "v6=" << s.v6 << " proto=" << int{s.proto}
                                    << " vlan=" << s.vlan);
    const std::vector<uint8_t> f = Frame(s);
    ASSERT_FALSE(L4ChecksumValid(f.data(), f.size(), s));  // only the pseudo-header so far
    rte_mbuf* m = Own(ToMbuf(f, 1000));                    // a chain, when the payload is long
    ASSERT_TRUE(ApplyOffloads(CsumHeader(s), m));
    EXPECT_EQ(m->l2_len, L2Len(s));
    EXPECT_EQ(m->l3_len, L3Len(s));
    EXPECT_TRUE(m->ol_flags & (s.v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
    EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK,
              s.proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
    EXPECT_EQ(MissingOffloads(m, 0), kTxOffloadL4Csum);
    EXPECT_EQ(MissingOffloads(m, kTxOffloadL4Csum), 0u);

    VirtioNetHdr back{};
    HeaderForOffloads(m, back);
    EXPECT_EQ(back.flags, kVirtioNetHdrFNeedsCsum);
    EXPECT_EQ(back.csum_start, L4Off(s));
    EXPECT_EQ(back.csum_offset, CsumField(s));
    EXPECT_EQ(back.gso_type, kVirtioNetHdrGsoNone);

    ASSERT_TRUE(ResolveChecksum(m));
    EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0u);
    const std::vector<uint8_t> out = Bytes(m);
    EXPECT_TRUE(L4ChecksumValid(out.data(), out.size(), s));
  }
}

TEST_F(OffloadTest, OtherChecksumRequestsAreDoneAtOnce) {
  // ICMP: no pseudo-header; the field starts at zero.
  const Spec s{.proto = IPPROTO_ICMP};
  std::vector<uint8_t> f = Frame(s);
  f[L4Off(s)] = 8;  // echo request
  rte_mbuf* m = Own(ToMbuf(f));
  ASSERT_TRUE(ApplyOffloads(CsumHeader(s), m));
  EXPECT_EQ(m->ol_flags & kTxOffloadRequests, 0u);
  const std::vector<uint8_t> out = Bytes(m);
  EXPECT_EQ(Fold(Sum(&out[L4Off(s)], out.size() - L4Off(s))), 0xffff);
}

TEST_F(OffloadTest, MalformedRequestsAreRefused) {
  const Spec tcp;
  const Spec udp{.proto = IPPROTO_UDP};
  struct Case {
    const char* what;
    Spec spec;
    VirtioNetHdr hdr;
  };
  VirtioNetHdr no_csum = TsoHeader(tcp, 1448);
  no_csum.flags = 0;
  VirtioNetHdr past_end = CsumHeader(tcp);
  past_end.csum_start = 60000;
  VirtioNetHdr ecn = TsoHeader(tcp, 1448);
  ecn.gso_type |= 0x80;
  VirtioNetHdr udp_seg = CsumHeader(udp);
  udp_seg.gso_type = 3;  // UFO, never offered
  udp_seg.gso_size = 1400;
  const Case cases[] = {
      {"segmentation without a checksum request", tcp, no_csum},
      {"segment size below the minimum", tcp, TsoHeader(tcp, kMinGsoSize - 1)},
      {"TCPv6 segmentation of an IPv4 packet", tcp, TsoHeader(Spec{.v6 = true}, 1448)},
      {"TCP segmentation of UDP", udp, TsoHeader(udp, 1400)},
      {"UDP fragmentation", udp, udp_seg},
      {"ECN, never offered", tcp, ecn},
      {"checksum beyond the packet", tcp, past_end},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    rte_mbuf* m = Own(ToMbuf(Frame(c.spec)));
    EXPECT_FALSE(ApplyOffloads(c.hdr, m));
  }
}

// Checks `segments` against the TCP packet they were cut from.
void ExpectSegmentsOf(const std::vector<rte_mbuf*>& segments, const Spec& s, uint16_t mss) {
  const std::vector<uint8_t> original = Frame(s);
  const uint32_t hdr = L4Off(s) + 20;
  ASSERT_EQ(segments.size(), (s.payload + mss - 1) / mss);
  std::vector<uint8_t> payload;
  for (size_t i = 0; i < segments.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "segment " << i);
    const std::vector<uint8_t> b = Bytes(segments[i]);
    const uint32_t len = std::min<uint32_t>(mss, s.payload - i * mss);
    ASSERT_EQ(b.size(), hdr + len);
    EXPECT_EQ(segments[i]->ol_flags & kTxOffloadRequests, 0u);
    const uint8_t* l3 = &b[L2Len(s)];
    const uint8_t* tcp = &b[L4Off(s)];
    if (s.v6) {
      EXPECT_EQ(Get16(l3 + 4), 20 + len);
    } else {
      EXPECT_EQ(Get16(l3 + 2), 40 + len);
      EXPECT_EQ(Get16(l3 + 4), kIpId + i);
      EXPECT_TRUE(Ipv4HeaderValid(b.data(), s));
    }
    EXPECT_EQ(Get32(tcp + 4), kTcpSeq + i * mss);
    const bool last = i + 1 == segments.size();
    EXPECT_EQ(tcp[13], last ? s.tcp_flags : s.tcp_flags & ~0x09) << "FIN/PSH on the last only";
    EXPECT_TRUE(L4ChecksumValid(b.data(), b.size(), s));
    EXPECT_TRUE(std::equal(b.begin(), b.begin() + 12, original.begin()));
    payload.insert(payload.end(), b.begin() + hdr, b.end());
  }
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), original.begin() + hdr,
                         original.end()));
}

TEST_F(OffloadTest, SegmentationCutsTcpIntoValidSegments) {
  for (const Spec s : {Spec{.payload = 10000, .tcp_flags = 0x19},
                       Spec{.v6 = true, .vlan = true, .payload = 3001}}) {
    SCOPED_TRACE(testing::Message() << "v6=" << s.v6);
    const uint16_t mss = s.v6 ? 1000 : 1448;
    rte_mbuf* m = Own(ToMbuf(Frame(s), 1500));  // a chain in, as guests' large frames come
    ASSERT_TRUE(ApplyOffloads(TsoHeader(s, mss), m));
    EXPECT_EQ(m->l4_len, 20);
    EXPECT_EQ(m->tso_segsz, mss);
    EXPECT_EQ(MissingOffloads(m, kTxOffloadL4Csum), kTxOffloadTcpSeg);
    EXPECT_EQ(MissingOffloads(m, kTxOffloadL4Csum | kTxOffloadTcpSeg), 0u);

    VirtioNetHdr back{};
    HeaderForOffloads(m, back);
    const VirtioNetHdr want = TsoHeader(s, mss);
    EXPECT_EQ(std::memcmp(&back, &want, sizeof(back)), 0);

    TcpSegmenter segmenter(m);
    std::vector<rte_mbuf*> segments;
    rte_mbuf* batch[3];
    while (uint16_t n = segmenter.Next({g_pool, nullptr}, batch, 3)) {
      for (uint16_t i = 0; i < n; ++i) segments.push_back(Own(batch[i]));
    }
    EXPECT_FALSE(segmenter.failed());
    ExpectSegmentsOf(segments, s, mss);
  }
}

TEST_F(OffloadTest, SegmentationFailsOnInconsistentHeaders) {
  const Spec s{.payload = 4000};
  rte_mbuf* m = Own(ToMbuf(Frame(s)));
  ASSERT_TRUE(ApplyOffloads(TsoHeader(s, 1000), m));
  m->l4_len = 8;  // shorter than any TCP header
  TcpSegmenter segmenter(m);
  rte_mbuf* batch[8];
  EXPECT_EQ(segmenter.Next({g_pool, nullptr}, batch, 8), 0);
  EXPECT_TRUE(segmenter.failed());
}

TEST_F(OffloadTest, SendBurstDoesInSoftwareWhatThePortCannot) {
  const Spec plain{.payload = 50};
  const Spec tso{.payload = 4000};
  const Spec csum{.proto = IPPROTO_UDP, .payload = 70};
  rte_mbuf* pkts[3] = {ToMbuf(Frame(plain)), ToMbuf(Frame(tso)), ToMbuf(Frame(csum))};
  ASSERT_TRUE(ApplyOffloads(TsoHeader(tso, 1000), pkts[1]));
  ASSERT_TRUE(ApplyOffloads(CsumHeader(csum), pkts[2]));
  SendBurst(Ctx(), *a_, pkts, 3);
  // In order: the plain packet, four segments, the checksummed one.
  ASSERT_EQ(a_->sent.size(), 6u);
  EXPECT_EQ(rte_pktmbuf_pkt_len(a_->sent[0]), Frame(plain).size());
  ExpectSegmentsOf({a_->sent.begin() + 1, a_->sent.begin() + 5}, tso, 1000);
  const std::vector<uint8_t> last = Bytes(a_->sent[5]);
  EXPECT_TRUE(L4ChecksumValid(last.data(), last.size(), csum));
  EXPECT_EQ(a_->stats().Total().tx_packets, 6u);
  EXPECT_EQ(a_->stats().Total().tx_dropped(), 0u);
}

TEST_F(OffloadTest, SendBurstPassesRequestsToAPortThatTakesThem) {
  a_->SetOffloads(kTxOffloadL4Csum | kTxOffloadTcpSeg);
  const Spec tso{.payload = 4000};
  rte_mbuf* m = ToMbuf(Frame(tso));
  ASSERT_TRUE(ApplyOffloads(TsoHeader(tso, 1000), m));
  SendBurst(Ctx(), *a_, &m, 1);
  ASSERT_EQ(a_->sent.size(), 1u);
  EXPECT_EQ(a_->sent[0], m);
  EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
}

TEST_F(OffloadTest, SendBurstDropsWhatCannotBeDone) {
  const Spec s{.payload = 4000};
  rte_mbuf* pkts[2] = {ToMbuf(Frame(s)), ToMbuf(Frame(Spec{}))};
  ASSERT_TRUE(ApplyOffloads(TsoHeader(s, 1000), pkts[0]));
  pkts[0]->l3_len = 200;  // not what the IPv4 header says
  SendBurst(Ctx(), *a_, pkts, 2);
  EXPECT_EQ(a_->sent.size(), 1u);
  EXPECT_EQ(a_->stats().Total().drops(DropReason::kOffload), 1u);
}

}  // namespace
}  // namespace zcswitch
