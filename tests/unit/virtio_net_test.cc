// DequeueBurst and EnqueueBurst (lib/vhost/virtio_net.h) on split vrings a
// test driver lays out in memfd-backed guest memory (tests/unit/guest_ring.h),
// with real mempools: packets in and out through direct, chained and
// indirect descriptors, offload headers both ways, mergeable receive
// buffers, every way a chain or a buffer can be refused, what comes back on
// the used ring, notifications, and every VringCounters field these two
// write. Each test also checks that no mbuf leaked.
#include "lib/vhost/virtio_net.h"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/dataplane/mbuf_pool.h"
#include "lib/offload/soft_offload.h"
#include "tests/unit/guest_ring.h"
#include "tests/unit/mbuf_test_env.h"
#include "lib/zcopy/inflight_table.h"
#include "lib/zcopy/zcopy_mbuf.h"

namespace zcswitch {
namespace {

constexpr uint32_t kHdrLen = sizeof(VirtioNetHdr);
constexpr uint16_t kBurst = 32;

// An Ethernet frame of `len` bytes that is not IP (ethertype 0x88b5, for
// local experiments), filled with a pattern that starts from `seed`.
std::vector<uint8_t> Frame(uint32_t len, uint8_t seed = 1) {
  std::vector<uint8_t> f(len);
  for (uint32_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(seed + i * 7);
  if (len >= 14) {
    f[12] = 0x88;
    f[13] = 0xb5;
  }
  return f;
}

// An IPv4 TCP frame with `payload` bytes after 14 + 20 + 20 bytes of headers.
std::vector<uint8_t> TcpFrame(uint32_t payload) {
  std::vector<uint8_t> f = Frame(54 + payload);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t* ip = &f[14];
  ip[0] = 0x45;  // version 4, 20 bytes
  ip[1] = 0;
  ip[2] = static_cast<uint8_t>((40 + payload) >> 8);
  ip[3] = static_cast<uint8_t>(40 + payload);
  std::memset(ip + 4, 0, 4);  // id; no fragment
  ip[8] = 64;
  ip[9] = 6;  // TCP
  uint8_t* tcp = &f[34];
  tcp[12] = 0x50;  // 20 bytes
  tcp[13] = 0x18;  // PSH, ACK
  return f;
}

// Whether the TCP checksum of an IPv4 frame from TcpFrame() is right.
bool TcpChecksumValid(const std::vector<uint8_t>& f) {
  const auto word = [&](size_t at) { return uint32_t{f[at]} << 8 | (at + 1 < f.size() ? f[at + 1] : 0); };
  const uint32_t tcp_len = static_cast<uint32_t>(f.size()) - 34;
  uint32_t sum = 6 + tcp_len;
  for (size_t at = 26; at < 34; at += 2) sum += word(at);  // addresses
  for (size_t at = 34; at < f.size(); at += 2) sum += word(at);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// What a guest transmits: the header, then the frame.
std::vector<uint8_t> WithHeader(const VirtioNetHdr& hdr, const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> out(kHdrLen + frame.size());
  std::memcpy(out.data(), &hdr, kHdrLen);
  std::copy(frame.begin(), frame.end(), out.begin() + kHdrLen);
  return out;
}

VirtioNetHdr CsumHeader() {
  VirtioNetHdr hdr{};
  hdr.flags = kVirtioNetHdrFNeedsCsum;
  hdr.csum_start = 34;
  hdr.csum_offset = 16;
  return hdr;
}

VirtioNetHdr TsoHeader(uint16_t mss) {
  VirtioNetHdr hdr = CsumHeader();
  hdr.gso_type = kVirtioNetHdrGsoTcpv4;
  hdr.gso_size = mss;
  hdr.hdr_len = 54;
  return hdr;
}

std::vector<uint8_t> Bytes(const rte_mbuf* m) {
  std::vector<uint8_t> out(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, out.size(), out.data());
  if (p != out.data()) std::memcpy(out.data(), p, out.size());
  return out;
}

// `frame` in mbufs of `seg` bytes each from g_pool.
rte_mbuf* ToMbuf(const std::vector<uint8_t>& frame, uint32_t seg = 2048) {
  rte_mbuf* head = nullptr;
  for (size_t at = 0; at < frame.size() || head == nullptr; at += seg) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    EXPECT_NE(m, nullptr);
    const auto n = static_cast<uint16_t>(std::min<size_t>(seg, frame.size() - at));
    std::memcpy(rte_pktmbuf_append(m, n), frame.data() + at, n);
    if (head == nullptr) {
      head = m;
    } else {
      EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
    }
  }
  return head;
}

VirtioNetHdr HeaderOf(const std::vector<uint8_t>& received) {
  VirtioNetHdr hdr{};
  std::memcpy(&hdr, received.data(), kHdrLen);
  return hdr;
}

uint64_t BadChains(const GuestRing& ring, ChainError e) {
  return ring.counters().bad_chains[static_cast<size_t>(e)].Read();
}

// The sum of every counter the data path writes, to check a test's one
// expected count is the only one.
uint64_t AllDrops(const GuestRing& ring) {
  const VringCounters& c = ring.counters();
  uint64_t sum = c.no_mbuf.Read() + c.short_packet.Read() + c.bad_offload.Read() +
                 c.too_small.Read() + c.offload_failed.Read() + c.discarded.Read();
  for (const Counter& b : c.bad_chains) sum += b.Read();
  return sum;
}

// A pool of `n` mbufs without a per-lcore cache, so that taking them all
// really empties it.
MbufPool MakePool(const char* name, unsigned n, uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE) {
  rte_mempool* pool = rte_pktmbuf_pool_create(name, n, 0, 0, data_room, SOCKET_ID_ANY);
  EXPECT_NE(pool, nullptr) << name << ": " << rte_strerror(rte_errno);
  return MbufPool(pool);
}

// Takes every mbuf `pool` has left.
std::vector<rte_mbuf*> Drain(rte_mempool* pool) {
  std::vector<rte_mbuf*> taken;
  while (rte_mbuf* m = rte_pktmbuf_alloc(pool)) taken.push_back(m);
  return taken;
}

class VirtioNetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Jumbo mbufs, as the vhost-user port type asks for.
    large_ = MakePool("vnet_test_large", 63, RTE_PKTMBUF_HEADROOM + 9216).release();
  }
  static void TearDownTestSuite() { rte_mempool_free(large_); }

  void SetUp() override {
    small_in_use_ = rte_mempool_in_use_count(g_pool);
    large_in_use_ = rte_mempool_in_use_count(large_);
  }
  void TearDown() override {
    for (rte_mbuf* m : got_) rte_pktmbuf_free(m);
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), small_in_use_) << "small mbufs leaked";
    EXPECT_EQ(rte_mempool_in_use_count(large_), large_in_use_) << "large mbufs leaked";
  }

  // DequeueBurst, its packets appended to got_ (freed at the end of the
  // test).
  uint16_t Dequeue(GuestRing& ring, uint16_t n = kBurst, MbufPools pools = {}) {
    if (pools.small == nullptr) pools = {g_pool, large_};
    rte_mbuf* pkts[kBurst];
    const uint16_t got = DequeueBurst(ring.live(), pools, pkts, n);
    got_.insert(got_.end(), pkts, pkts + got);
    return got;
  }

  static rte_mempool* large_;
  unsigned small_in_use_ = 0;
  unsigned large_in_use_ = 0;
  std::vector<rte_mbuf*> got_;
};

rte_mempool* VirtioNetTest::large_ = nullptr;

// --- DequeueBurst: the guest's transmit vring ---

TEST_F(VirtioNetTest, DequeuesOnePacketAndReturnsItsBuffer) {
  GuestRing ring(256);
  const std::vector<uint8_t> frame = Frame(100);
  const uint16_t head = ring.PostTx(WithHeader({}, frame));

  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(Bytes(got_[0]), frame);
  EXPECT_EQ(got_[0]->ol_flags & kTxOffloadRequests, 0u);
  EXPECT_EQ(got_[0]->pool, g_pool);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, head);
  EXPECT_EQ(ring.used(0).len, 0u);  // the device wrote nothing into it
  EXPECT_EQ(ring.counters().calls.Read(), 1u);
  EXPECT_EQ(ring.TakeCalls(), 1u);
  EXPECT_EQ(AllDrops(ring), 0u);
  // Nothing more: no used entry, no call.
  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.TakeCalls(), 0u);
}

TEST_F(VirtioNetTest, DequeuesChainedDescriptorsWithTheHeaderSplit) {
  GuestRing ring(256);
  const std::vector<uint8_t> frame = TcpFrame(300);
  // The header over two descriptors, the frame over three, one of them a
  // single byte, and an empty descriptor in between.
  const uint16_t head = ring.PostTx(WithHeader(CsumHeader(), frame), {5, 7, 0, 40, 1});

  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(Bytes(got_[0]), frame);
  // The header read across its two pieces still asks for the checksum.
  EXPECT_EQ(got_[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
  EXPECT_EQ(ring.used(0).id, head);
  EXPECT_EQ(AllDrops(ring), 0u);
}

TEST_F(VirtioNetTest, DequeuesFromAnIndirectTable) {
  GuestRing ring(256);
  const std::vector<uint8_t> frame = Frame(1500);
  const uint16_t head = ring.PostTx(WithHeader({}, frame), {kHdrLen, 700}, /*indirect=*/true);

  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(Bytes(got_[0]), frame);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, head);  // the ring's descriptor, not the table's
}

TEST_F(VirtioNetTest, OffloadRequestsBecomeMbufFlags) {
  GuestRing ring(256);
  ring.PostTx(WithHeader(CsumHeader(), TcpFrame(100)));
  ring.PostTx(WithHeader(TsoHeader(1400), TcpFrame(5000)));

  ASSERT_EQ(Dequeue(ring), 2);
  const rte_mbuf* csum = got_[0];
  EXPECT_EQ(csum->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG),
            RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4);
  EXPECT_EQ(csum->l2_len, 14u);
  EXPECT_EQ(csum->l3_len, 20u);
  const rte_mbuf* tso = got_[1];
  EXPECT_TRUE(tso->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_EQ(tso->tso_segsz, 1400u);
  EXPECT_EQ(tso->l4_len, 20u);
  EXPECT_EQ(AllDrops(ring), 0u);
}

TEST_F(VirtioNetTest, PacketTooBigForASmallMbufGoesIntoALargeOne) {
  GuestRing ring(256);
  const std::vector<uint8_t> jumbo = Frame(9000);
  ring.PostTx(WithHeader({}, jumbo));
  ring.PostTx(WithHeader({}, jumbo));

  ASSERT_EQ(Dequeue(ring, 1), 1);
  EXPECT_EQ(got_[0]->pool, large_);
  EXPECT_EQ(got_[0]->nb_segs, 1);
  EXPECT_EQ(Bytes(got_[0]), jumbo);
  // Without a large pool: a chain of small mbufs, the same bytes.
  ASSERT_EQ(Dequeue(ring, 1, {g_pool, nullptr}), 1);
  EXPECT_EQ(got_[1]->pool, g_pool);
  EXPECT_EQ(got_[1]->nb_segs, 5);
  EXPECT_EQ(Bytes(got_[1]), jumbo);
}

TEST_F(VirtioNetTest, PacketGoesIntoSmallMbufsWhenTheLargePoolIsEmpty) {
  GuestRing ring(256);
  MbufPool empty_large = MakePool("vnet_test_empty_large", 1, RTE_PKTMBUF_HEADROOM + 9216);
  const std::vector<rte_mbuf*> taken = Drain(empty_large.get());
  const std::vector<uint8_t> jumbo = Frame(3000);
  ring.PostTx(WithHeader({}, jumbo));

  ASSERT_EQ(Dequeue(ring, kBurst, {g_pool, empty_large.get()}), 1);
  EXPECT_EQ(got_[0]->pool, g_pool);
  EXPECT_EQ(got_[0]->nb_segs, 2);
  EXPECT_EQ(Bytes(got_[0]), jumbo);
  for (rte_mbuf* m : taken) rte_pktmbuf_free(m);
}

TEST_F(VirtioNetTest, BadChainsAreCountedAndReturnedEmptyWhileTheBurstGoesOn) {
  GuestRing ring(256);
  const std::vector<uint8_t> bytes = WithHeader({}, Frame(60));
  std::vector<uint16_t> heads;
  heads.push_back(ring.PostTx(bytes));
  // A receive buffer on the transmit vring.
  const uint16_t writable = ring.PostRx({200});
  heads.push_back(writable);
  heads.push_back(ring.PostTx(bytes));
  // A chain whose next index is beyond the table.
  const uint16_t next_out = ring.NewDesc();
  ring.desc(next_out) = {ring.Alloc(64), 64, kVringDescFNext, 300};
  ring.Offer(next_out);
  heads.push_back(next_out);
  // A buffer beyond the end of guest memory.
  const uint16_t outside = ring.NewDesc();
  ring.desc(outside) = {GuestRing::kGpaBase + GuestRing::kMemBytes - 10, 64, 0, 0};
  ring.Offer(outside);
  heads.push_back(outside);
  // An indirect table inside an indirect table.
  const uint64_t inner = ring.Alloc(16);
  const uint64_t outer = ring.Alloc(16);
  *reinterpret_cast<VringDesc*>(ring.Hva(outer, 16)) = {inner, 16, kVringDescFIndirect, 0};
  const uint16_t nested = ring.NewDesc();
  ring.desc(nested) = {outer, 16, kVringDescFIndirect, 0};
  ring.Offer(nested);
  heads.push_back(nested);
  // A loop.
  const uint16_t loop = ring.NewDesc();
  ring.desc(loop) = {ring.Alloc(64), 64, kVringDescFNext, loop};
  ring.Offer(loop);
  heads.push_back(loop);
  heads.push_back(ring.PostTx(bytes));

  EXPECT_EQ(Dequeue(ring), 3);
  EXPECT_EQ(BadChains(ring, ChainError::kWrongDirection), 1u);
  EXPECT_EQ(BadChains(ring, ChainError::kNextOutOfRange), 1u);
  EXPECT_EQ(BadChains(ring, ChainError::kOutsideMemory), 1u);
  EXPECT_EQ(BadChains(ring, ChainError::kNestedIndirect), 1u);
  EXPECT_EQ(BadChains(ring, ChainError::kTooLong), 1u);
  EXPECT_EQ(AllDrops(ring), 5u);
  // Every chain is back, in order, with nothing written.
  ASSERT_EQ(ring.used_idx(), heads.size());
  for (uint16_t i = 0; i < heads.size(); ++i) {
    EXPECT_EQ(ring.used(i).id, heads[i]) << i;
    EXPECT_EQ(ring.used(i).len, 0u) << i;
  }
  EXPECT_EQ(ring.counters().calls.Read(), 1u);  // one notification for the burst
}

// Found by virtio_net_fuzz: a head beyond the queue was written to the used
// ring, an id that names no descriptor and that a driver may index its own
// arrays with.
TEST_F(VirtioNetTest, HeadBeyondTheQueueIsCountedAndNotReturned) {
  GuestRing ring(8);
  ring.Offer(8);
  const uint16_t good = ring.PostTx(WithHeader({}, Frame(60)));
  ring.Offer(0xffff);

  EXPECT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(BadChains(ring, ChainError::kHeadOutOfRange), 2u);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, good);
  EXPECT_EQ(ring.live().queue.AvailCount(), 0);  // taken all the same
}

TEST_F(VirtioNetTest, HeadBeyondTheQueueIsNotReturnedFromADisabledVring) {
  GuestRing ring(8);
  ring.live().discard = true;
  ring.Offer(9);
  const uint16_t good = ring.PostTx(WithHeader({}, Frame(60)));

  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(BadChains(ring, ChainError::kHeadOutOfRange), 1u);
  // Counted once, as a bad chain, not also as discarded.
  EXPECT_EQ(ring.counters().discarded.Read(), 1u);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, good);
}

TEST_F(VirtioNetTest, ReceiveHeadBeyondTheQueueIsCountedAndNotReturned) {
  GuestRing ring(8);
  ring.Offer(100);
  const uint16_t good = ring.PostRx({2048});
  rte_mbuf* pkts[] = {ToMbuf(Frame(100)), ToMbuf(Frame(100))};

  EXPECT_EQ(EnqueueBurst(ring.live(), pkts, 2), 2);  // the first is dropped
  EXPECT_EQ(BadChains(ring, ChainError::kHeadOutOfRange), 1u);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, good);
  EXPECT_EQ(ring.used(0).len, kHdrLen + 100);
}

TEST_F(VirtioNetTest, PacketsNoLongerThanTheHeaderAreDropped) {
  GuestRing ring(256);
  std::vector<uint8_t> header_only = WithHeader({}, {});
  ring.PostTx(header_only);
  ring.PostTx(std::vector<uint8_t>(5, 0));
  ring.PostTx(WithHeader({}, Frame(1)));  // one byte is enough

  EXPECT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(ring.counters().short_packet.Read(), 2u);
  EXPECT_EQ(ring.used_idx(), 3);
}

TEST_F(VirtioNetTest, MalformedOffloadRequestsDropThePacket) {
  GuestRing ring(256);
  VirtioNetHdr gso_without_csum = TsoHeader(1400);
  gso_without_csum.flags = 0;
  ring.PostTx(WithHeader(gso_without_csum, TcpFrame(3000)));
  ring.PostTx(WithHeader(TsoHeader(kMinGsoSize - 1), TcpFrame(3000)));
  VirtioNetHdr udp_gso = TsoHeader(1400);
  udp_gso.gso_type = 3;  // VIRTIO_NET_HDR_GSO_UDP: never offered
  ring.PostTx(WithHeader(udp_gso, TcpFrame(3000)));
  ring.PostTx(WithHeader(CsumHeader(), TcpFrame(10)));

  EXPECT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(ring.counters().bad_offload.Read(), 3u);
  EXPECT_EQ(ring.used_idx(), 4);
  // The dropped packets' mbufs went back to their pools (TearDown checks).
}

TEST_F(VirtioNetTest, EmptyPoolDropsAndStillReturnsTheBuffers) {
  GuestRing ring(256);
  MbufPool empty = MakePool("vnet_test_empty", 2);
  const std::vector<rte_mbuf*> taken = Drain(empty.get());
  ring.PostTx(WithHeader({}, Frame(100)));
  ring.PostTx(WithHeader({}, Frame(100)));

  EXPECT_EQ(Dequeue(ring, kBurst, {empty.get(), nullptr}), 0);
  EXPECT_EQ(ring.counters().no_mbuf.Read(), 2u);
  EXPECT_EQ(ring.used_idx(), 2);
  for (rte_mbuf* m : taken) rte_pktmbuf_free(m);
}

TEST_F(VirtioNetTest, PoolRunningDryInsideAPacketDropsItWhole) {
  GuestRing ring(256);
  // Two mbufs: not enough for a 5000-byte packet in 2 KB mbufs.
  MbufPool two = MakePool("vnet_test_two", 2);
  ring.PostTx(WithHeader({}, Frame(5000)));

  EXPECT_EQ(Dequeue(ring, kBurst, {two.get(), nullptr}), 0);
  EXPECT_EQ(ring.counters().no_mbuf.Read(), 1u);
  EXPECT_EQ(rte_mempool_avail_count(two.get()), 2u);  // both came back
}

TEST_F(VirtioNetTest, DisabledVringIsDrainedWithoutForwarding) {
  GuestRing ring(256);
  ring.live().discard = true;
  for (int i = 0; i < 3; ++i) ring.PostTx(WithHeader({}, Frame(100)));

  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(ring.counters().discarded.Read(), 3u);
  ASSERT_EQ(ring.used_idx(), 3);
  EXPECT_EQ(ring.used(2).len, 0u);
  EXPECT_EQ(ring.counters().calls.Read(), 1u);
}

TEST_F(VirtioNetTest, TakesNoMoreThanAsked) {
  GuestRing ring(256);
  for (int i = 0; i < 3; ++i) ring.PostTx(WithHeader({}, Frame(100, i)));

  ASSERT_EQ(Dequeue(ring, 2), 2);
  EXPECT_EQ(Bytes(got_[1]), Frame(100, 1));
  EXPECT_EQ(ring.used_idx(), 2);
  EXPECT_EQ(ring.live().queue.AvailCount(), 1);
  ASSERT_EQ(Dequeue(ring, 2), 1);
  EXPECT_EQ(Bytes(got_[2]), Frame(100, 2));
}

TEST_F(VirtioNetTest, NoCallWhenTheGuestSuppressesInterrupts) {
  GuestRing ring(256);
  ring.set_avail_flags(kVringAvailFNoInterrupt);
  ring.PostTx(WithHeader({}, Frame(100)));

  EXPECT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(ring.used_idx(), 1);  // returned all the same
  EXPECT_EQ(ring.counters().calls.Read(), 0u);
  EXPECT_EQ(ring.TakeCalls(), 0u);
}

TEST_F(VirtioNetTest, WithEventIdxCallsOnlyWhenTheUsedEventIsPassed) {
  GuestRing ring(256, /*event_idx=*/true);
  ring.set_used_event(1);  // tell me once entry 1 is used
  ring.PostTx(WithHeader({}, Frame(100)));
  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(ring.counters().calls.Read(), 0u);
  ring.PostTx(WithHeader({}, Frame(100)));
  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_EQ(ring.counters().calls.Read(), 1u);
  EXPECT_EQ(ring.TakeCalls(), 1u);
}

// --- EnqueueBurst: the guest's receive vring ---

TEST_F(VirtioNetTest, EnqueuesOnePacketIntoOneBuffer) {
  GuestRing ring(256);
  const uint16_t head = ring.PostRx({2048});
  const std::vector<uint8_t> frame = Frame(100);
  rte_mbuf* m = ToMbuf(frame);

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);  // and freed it
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, head);
  ASSERT_EQ(ring.used(0).len, kHdrLen + 100);
  const std::vector<uint8_t> got = ring.Read(head, kHdrLen + 100);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + kHdrLen, got.end()), frame);
  const VirtioNetHdr hdr = HeaderOf(got);
  EXPECT_EQ(hdr.flags, 0);
  EXPECT_EQ(hdr.gso_type, kVirtioNetHdrGsoNone);
  EXPECT_EQ(hdr.num_buffers, 1);
  EXPECT_EQ(ring.counters().calls.Read(), 1u);
  EXPECT_EQ(AllDrops(ring), 0u);
}

TEST_F(VirtioNetTest, EnqueuesAnMbufChainIntoAChainOfBuffers) {
  GuestRing ring(256);
  // The header alone in the first buffer, the frame over the rest.
  const uint16_t head = ring.PostRx({kHdrLen, 50, 1, 4000});
  const std::vector<uint8_t> frame = Frame(3000);
  rte_mbuf* m = ToMbuf(frame, 700);

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  ASSERT_EQ(ring.used(0).len, kHdrLen + 3000);
  const std::vector<uint8_t> got = ring.Read(head, kHdrLen + 3000);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + kHdrLen, got.end()), frame);
}

TEST_F(VirtioNetTest, EnqueuesIntoAnIndirectTable) {
  GuestRing ring(256);
  const uint16_t head = ring.PostRx({100, 2000}, /*indirect=*/true);
  const std::vector<uint8_t> frame = Frame(1000);
  rte_mbuf* m = ToMbuf(frame);

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  ASSERT_EQ(ring.used(0).id, head);
  ASSERT_EQ(ring.used(0).len, kHdrLen + 1000);
  const std::vector<uint8_t> got = ring.Read(head, kHdrLen + 1000);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + kHdrLen, got.end()), frame);
}

TEST_F(VirtioNetTest, MergeableBuffersTakeOnePacketAcrossSeveral) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  std::vector<uint16_t> heads;
  for (int i = 0; i < 4; ++i) heads.push_back(ring.PostRx({512}));
  const std::vector<uint8_t> frame = Frame(1400);
  rte_mbuf* m = ToMbuf(frame, 300);

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  ASSERT_EQ(ring.used_idx(), 3);
  std::vector<uint8_t> got;
  const uint32_t lens[] = {512, 512, kHdrLen + 1400 - 1024};
  for (uint16_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ring.used(i).id, heads[i]);
    EXPECT_EQ(ring.used(i).len, lens[i]);
    const std::vector<uint8_t> part = ring.Read(heads[i], ring.used(i).len);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(HeaderOf(got).num_buffers, 3);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + kHdrLen, got.end()), frame);
  EXPECT_EQ(ring.live().queue.AvailCount(), 1);  // the fourth is left for later
  EXPECT_EQ(ring.counters().calls.Read(), 1u);
}

// Found by virtio_net_fuzz: num_buffers was stored through a uint16_t
// pointer at whatever address the guest chose, undefined behaviour that
// UndefinedBehaviorSanitizer (make sanitize) stops on.
TEST_F(VirtioNetTest, NumBuffersIsWrittenEvenWhereTheGuestPutsTheHeaderOddly) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  // A receive buffer at an odd guest address: num_buffers is not aligned.
  const uint16_t head = ring.NewDesc();
  const uint64_t odd = ring.Alloc(600) + 1;
  ring.desc(head) = {odd, 512, kVringDescFWrite, 0};
  ring.Offer(head);
  ring.PostRx({512});
  rte_mbuf* m = ToMbuf(Frame(800));

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  ASSERT_EQ(ring.used_idx(), 2);
  VirtioNetHdr hdr;
  std::memcpy(&hdr, ring.Hva(odd, kHdrLen), kHdrLen);
  EXPECT_EQ(hdr.num_buffers, 2);
}

TEST_F(VirtioNetTest, TooSmallBuffersDropThePacketAndComeBackEmpty) {
  GuestRing ring(256);
  // Without mergeable buffers, a packet must fit one chain.
  const uint16_t small = ring.PostRx({100});
  // A first piece that cannot hold the header.
  const uint16_t split_header = ring.PostRx({8, 2048});
  // No room at all.
  const uint16_t empty = ring.PostRx({0});
  const uint16_t fine = ring.PostRx({2048});
  rte_mbuf* pkts[] = {ToMbuf(Frame(500)), ToMbuf(Frame(500)), ToMbuf(Frame(500)),
                      ToMbuf(Frame(500))};

  EXPECT_EQ(EnqueueBurst(ring.live(), pkts, 4), 4);  // all taken: 3 dropped
  EXPECT_EQ(ring.counters().too_small.Read(), 3u);
  EXPECT_EQ(AllDrops(ring), 3u);
  ASSERT_EQ(ring.used_idx(), 4);
  EXPECT_EQ(ring.used(0).id, small);
  EXPECT_EQ(ring.used(0).len, 0u);
  EXPECT_EQ(ring.used(1).id, split_header);
  EXPECT_EQ(ring.used(1).len, 0u);
  EXPECT_EQ(ring.used(2).id, empty);
  EXPECT_EQ(ring.used(2).len, 0u);
  EXPECT_EQ(ring.used(3).id, fine);
  EXPECT_EQ(ring.used(3).len, kHdrLen + 500);
}

TEST_F(VirtioNetTest, MergeablePacketNeedingTooManyBuffersIsDropped) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  // 100 buffers of 64 bytes hold 6400 bytes, but a packet may use only 80.
  for (int i = 0; i < 100; ++i) ring.PostRx({64});
  rte_mbuf* m = ToMbuf(Frame(6000));

  EXPECT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  EXPECT_EQ(ring.counters().too_small.Read(), 1u);
  ASSERT_EQ(ring.used_idx(), 80);
  for (uint16_t i = 0; i < 80; ++i) EXPECT_EQ(ring.used(i).len, 0u) << i;
  EXPECT_EQ(ring.live().queue.AvailCount(), 20);
}

TEST_F(VirtioNetTest, StopsAtThePacketThatFindsNoBufferAndLeavesTheRest) {
  GuestRing ring(256);
  ring.PostRx({2048});
  ring.PostRx({2048});
  rte_mbuf* pkts[] = {ToMbuf(Frame(100, 1)), ToMbuf(Frame(100, 2)), ToMbuf(Frame(100, 3)),
                      ToMbuf(Frame(100, 4))};

  ASSERT_EQ(EnqueueBurst(ring.live(), pkts, 4), 2);
  EXPECT_EQ(ring.used_idx(), 2);
  EXPECT_EQ(AllDrops(ring), 0u);
  // The guest refills: the caller's packets go on from where they stopped.
  const uint16_t head = ring.PostRx({2048});
  ASSERT_EQ(EnqueueBurst(ring.live(), pkts + 2, 2), 1);
  const std::vector<uint8_t> got = ring.Read(head, kHdrLen + 100);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + kHdrLen, got.end()), Frame(100, 3));
  rte_pktmbuf_free(pkts[3]);
}

TEST_F(VirtioNetTest, MergeablePacketWaitsWholeForEnoughBuffers) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  ring.PostRx({512});
  ring.PostRx({512});
  rte_mbuf* m = ToMbuf(Frame(1400));  // needs three

  EXPECT_EQ(EnqueueBurst(ring.live(), &m, 1), 0);
  EXPECT_EQ(ring.used_idx(), 0);
  EXPECT_EQ(ring.live().queue.AvailCount(), 2);  // given back, to be taken again
  EXPECT_EQ(ring.counters().calls.Read(), 0u);
  EXPECT_EQ(AllDrops(ring), 0u);
  ring.PostRx({512});
  EXPECT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  EXPECT_EQ(ring.used_idx(), 3);
}

TEST_F(VirtioNetTest, MergeablePacketLargerThanTheWholeRingIsDropped) {
  GuestRing ring(4);
  ring.live().mergeable = true;
  for (int i = 0; i < 4; ++i) ring.PostRx({512});
  rte_mbuf* pkts[] = {ToMbuf(Frame(3000)), ToMbuf(Frame(100))};

  // The first can never fit: it is dropped, not left to the caller (which
  // would drop the rest of its burst behind it, every time).
  EXPECT_EQ(EnqueueBurst(ring.live(), pkts, 2), 1);
  EXPECT_EQ(ring.counters().too_small.Read(), 1u);
  ASSERT_EQ(ring.used_idx(), 4);
  for (uint16_t i = 0; i < 4; ++i) EXPECT_EQ(ring.used(i).len, 0u) << i;
  ring.PostRx({512});
  EXPECT_EQ(EnqueueBurst(ring.live(), pkts + 1, 1), 1);
  EXPECT_EQ(ring.used_idx(), 5);
}

TEST_F(VirtioNetTest, BadReceiveChainDropsThePacketAndTheBurstGoesOn) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  const uint16_t readable = ring.PostTx(Frame(2048));  // not device-writable
  const uint16_t fine = ring.PostRx({2048});
  rte_mbuf* pkts[] = {ToMbuf(Frame(100)), ToMbuf(Frame(100))};

  EXPECT_EQ(EnqueueBurst(ring.live(), pkts, 2), 2);
  EXPECT_EQ(BadChains(ring, ChainError::kWrongDirection), 1u);
  ASSERT_EQ(ring.used_idx(), 2);
  EXPECT_EQ(ring.used(0).id, readable);
  EXPECT_EQ(ring.used(0).len, 0u);
  EXPECT_EQ(ring.used(1).id, fine);
  EXPECT_EQ(ring.used(1).len, kHdrLen + 100);
}

TEST_F(VirtioNetTest, BadChainInTheMiddleOfAMergeablePacketReturnsAllItsBuffers) {
  GuestRing ring(256);
  ring.live().mergeable = true;
  const uint16_t first = ring.PostRx({512});
  const uint16_t bad = ring.NewDesc();
  ring.desc(bad) = {GuestRing::kGpaBase + GuestRing::kMemBytes, 512, kVringDescFWrite, 0};
  ring.Offer(bad);
  rte_mbuf* m = ToMbuf(Frame(1000));

  EXPECT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  EXPECT_EQ(BadChains(ring, ChainError::kOutsideMemory), 1u);
  ASSERT_EQ(ring.used_idx(), 2);
  EXPECT_EQ(ring.used(0).id, first);
  EXPECT_EQ(ring.used(0).len, 0u);
  EXPECT_EQ(ring.used(1).id, bad);
}

TEST_F(VirtioNetTest, OffloadsTheGuestTakesGoInItsHeader) {
  GuestRing ring(256);
  ring.live().rx_offloads = kTxOffloadL4Csum | kTxOffloadTcpSeg;
  const uint16_t csum_head = ring.PostRx({2048});
  const uint16_t tso_head = ring.PostRx({8192});
  rte_mbuf* csum = ToMbuf(TcpFrame(100));
  csum->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  csum->l2_len = 14;
  csum->l3_len = 20;
  rte_mbuf* tso = ToMbuf(TcpFrame(5000));
  tso->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
  tso->l2_len = 14;
  tso->l3_len = 20;
  tso->l4_len = 20;
  tso->tso_segsz = 1400;
  rte_mbuf* pkts[] = {csum, tso};

  ASSERT_EQ(EnqueueBurst(ring.live(), pkts, 2), 2);
  const VirtioNetHdr c = HeaderOf(ring.Read(csum_head, kHdrLen));
  EXPECT_EQ(c.flags, kVirtioNetHdrFNeedsCsum);
  EXPECT_EQ(c.csum_start, 34);
  EXPECT_EQ(c.csum_offset, 16);
  EXPECT_EQ(c.gso_type, kVirtioNetHdrGsoNone);
  const VirtioNetHdr t = HeaderOf(ring.Read(tso_head, kHdrLen));
  EXPECT_EQ(t.gso_type, kVirtioNetHdrGsoTcpv4);
  EXPECT_EQ(t.gso_size, 1400);
  EXPECT_EQ(t.hdr_len, 54);
  EXPECT_EQ(AllDrops(ring), 0u);
}

TEST_F(VirtioNetTest, ChecksumTheGuestDoesNotTakeIsDoneFirst) {
  GuestRing ring(256);
  const uint16_t head = ring.PostRx({2048});
  rte_mbuf* m = ToMbuf(TcpFrame(100));
  m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  m->l2_len = 14;
  m->l3_len = 20;

  ASSERT_EQ(EnqueueBurst(ring.live(), &m, 1), 1);
  const std::vector<uint8_t> got = ring.Read(head, kHdrLen + 154);
  EXPECT_EQ(HeaderOf(got).flags, 0);
  EXPECT_TRUE(TcpChecksumValid(std::vector<uint8_t>(got.begin() + kHdrLen, got.end())));
  EXPECT_EQ(ring.counters().offload_failed.Read(), 0u);
}

TEST_F(VirtioNetTest, OffloadThatCannotBeDoneDropsOnlyThatPacket) {
  GuestRing ring(256);
  // A guest that takes neither checksums nor segmentation.
  ring.live().rx_offloads = 0;
  const uint16_t head = ring.PostRx({2048});
  rte_mbuf* tso = ToMbuf(TcpFrame(5000));
  tso->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
  tso->l2_len = 14;
  tso->l3_len = 20;
  tso->l4_len = 20;
  tso->tso_segsz = 1400;
  rte_mbuf* bad_csum = ToMbuf(Frame(20));  // shorter than the headers it claims
  bad_csum->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  bad_csum->l2_len = 14;
  bad_csum->l3_len = 20;
  rte_mbuf* pkts[] = {tso, ToMbuf(Frame(100)), bad_csum};

  EXPECT_EQ(EnqueueBurst(ring.live(), pkts, 3), 3);
  EXPECT_EQ(ring.counters().offload_failed.Read(), 2u);
  ASSERT_EQ(ring.used_idx(), 1);  // only the plain one used a buffer
  EXPECT_EQ(ring.used(0).id, head);
  EXPECT_EQ(ring.used(0).len, kHdrLen + 100);
}

TEST_F(VirtioNetTest, NoCallWhenNothingWasReturned) {
  GuestRing ring(256);
  rte_mbuf* m = ToMbuf(Frame(100));
  EXPECT_EQ(EnqueueBurst(ring.live(), &m, 1), 0);
  EXPECT_EQ(ring.counters().calls.Read(), 0u);
  EXPECT_EQ(ring.TakeCalls(), 0u);
  rte_pktmbuf_free(m);
}

// --- Zero-copy: DequeueBurst lending guest buffers (lib/zcopy) ---

// A transmit vring that lends, with its own knobs and counters. The table is
// retired when the test ends, after its packets are freed.
class ZcopyDequeueTest : public VirtioNetTest {
 protected:
  void TearDown() override {
    for (rte_mbuf* m : got_) rte_pktmbuf_free(m);
    got_.clear();
    for (GuestRing* ring : lending_) RetireInflight(ring->live(), false, 0);
    SweepRetiredInflightTables();
    VirtioNetTest::TearDown();
  }

  void Lend(GuestRing& ring) {
    ring.live().inflight = InflightTable::Create(ring.size(), ring.live().memory);
    ring.live().zcopy = &settings_;
    ring.live().zcopy_counters = &zc_;
    lending_.push_back(&ring);
  }

  // Frees got_[i]: the last reference to its guest buffer, if it was lent.
  void Free(size_t i) {
    rte_pktmbuf_free(got_[i]);
    got_.erase(got_.begin() + static_cast<ptrdiff_t>(i));
  }

  uint64_t Copied(CopyReason r) const { return zc_.copied[static_cast<size_t>(r)].Read(); }

  // Whether `p` lies in the ring's guest memory.
  static bool InGuest(const GuestRing& ring, const void* p) {
    const uint8_t* base = ring.Hva(GuestRing::kGpaBase);
    return p >= base && p < base + GuestRing::kMemBytes;
  }

  ZcopySettings settings_;
  ZcopyCounters zc_;
  std::vector<GuestRing*> lending_;
};

TEST_F(ZcopyDequeueTest, LentPacketsBufferComesBackOnlyWhenItsMbufsAreFreed) {
  GuestRing ring(256);
  Lend(ring);
  const std::vector<uint8_t> frame = Frame(1518);
  const uint16_t head = ring.PostTx(WithHeader({}, frame));

  ASSERT_EQ(Dequeue(ring), 1);
  const rte_mbuf* m = got_[0];
  EXPECT_EQ(Bytes(m), frame);
  // The headers are a host copy; the rest is the guest's own buffer.
  EXPECT_FALSE(RTE_MBUF_HAS_EXTBUF(m));
  EXPECT_EQ(rte_pktmbuf_data_len(m), settings_.header_bytes());
  ASSERT_NE(m->next, nullptr);
  EXPECT_TRUE(RTE_MBUF_HAS_EXTBUF(m->next));
  EXPECT_TRUE(InGuest(ring, rte_pktmbuf_mtod(m->next, const void*)));
  EXPECT_TRUE(IsZcopy(m));
  EXPECT_EQ(ring.used_idx(), 0) << "a lent buffer went back before its mbufs were freed";
  EXPECT_EQ(zc_.inflight.Read(), 1u);

  // Still held across bursts with nothing new.
  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(ring.used_idx(), 0);

  Free(0);
  EXPECT_EQ(Dequeue(ring), 0);
  ASSERT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, head);
  EXPECT_GE(ring.TakeCalls(), 1u);
  EXPECT_EQ(zc_.packets.Read(), 1u);
  EXPECT_EQ(zc_.bytes.Read(), 1518u);
  EXPECT_EQ(zc_.completions.Read(), 1u);
  EXPECT_EQ(zc_.inflight.Read(), 0u);
  EXPECT_EQ(zc_.inflight_max.Read(), 1u);
  // Returned once: more bursts write nothing more.
  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(ring.used_idx(), 1);
}

TEST_F(ZcopyDequeueTest, ChainSpreadOverSeveralBuffersIsLentPieceByPiece) {
  GuestRing ring(256);
  Lend(ring);
  const std::vector<uint8_t> frame = Frame(9000, 3);
  ring.PostTx(WithHeader({}, frame), {kHdrLen, 100, 3000, 77});

  ASSERT_EQ(Dequeue(ring), 1);
  const rte_mbuf* m = got_[0];
  EXPECT_EQ(Bytes(m), frame);
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), 9000u);
  // Header copy, the rest of the 100-byte buffer after it is in the header
  // (100 < 128), then 3000 - 28, 77 and the last buffer by reference.
  EXPECT_EQ(m->nb_segs, 4);
  for (const rte_mbuf* s = m->next; s != nullptr; s = s->next) {
    EXPECT_TRUE(RTE_MBUF_HAS_EXTBUF(s));
    EXPECT_TRUE(InGuest(ring, rte_pktmbuf_mtod(s, const void*)));
  }
  Free(0);
  Dequeue(ring);
  EXPECT_EQ(ring.used_idx(), 1);
}

TEST_F(ZcopyDequeueTest, ForwardingReadsTheHostCopyNotTheGuestsRewrite) {
  GuestRing ring(256);
  Lend(ring);
  std::vector<uint8_t> frame = Frame(1518);
  // A VLAN-tagged frame to 02:00:00:00:00:01, VLAN 10.
  const uint8_t dst[6] = {2, 0, 0, 0, 0, 1};
  std::memcpy(frame.data(), dst, 6);
  frame[12] = 0x81;
  frame[13] = 0x00;
  frame[14] = 0x00;
  frame[15] = 10;
  const uint16_t head = ring.PostTx(WithHeader({}, frame));
  ASSERT_EQ(Dequeue(ring), 1);

  // The guest rewrites its whole buffer while the packet is in flight.
  uint8_t* guest = ring.Hva(ring.desc(head).addr, ring.desc(head).len);
  std::memset(guest, 0xee, ring.desc(head).len);

  const std::vector<uint8_t> now = Bytes(got_[0]);
  const uint32_t copied = settings_.header_bytes();
  EXPECT_EQ(std::vector<uint8_t>(now.begin(), now.begin() + copied),
            std::vector<uint8_t>(frame.begin(), frame.begin() + copied))
      << "a header byte came from guest memory after dequeue";
  // What follows is referenced, as it should be: the rewrite shows there.
  EXPECT_EQ(now[copied], 0xee);
}

TEST_F(ZcopyDequeueTest, OffloadRequestsWidenTheHeaderCopyToTheirHeaders) {
  GuestRing ring(256);
  Lend(ring);
  settings_.Set({.header_bytes = 64});
  ring.PostTx(WithHeader(TsoHeader(1000), TcpFrame(4000)));
  ASSERT_EQ(Dequeue(ring), 1);
  // Segmentation reads the whole TCP header, up to 60 bytes from csum_start
  // (34): all of it is a host copy.
  EXPECT_GE(rte_pktmbuf_data_len(got_[0]), 34u + 60u);
  EXPECT_TRUE(got_[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_TRUE(IsZcopy(got_[0]));
}

TEST_F(ZcopyDequeueTest, SmallPacketsAndDisabledZeroCopyAreCopiedAndCounted) {
  GuestRing ring(256);
  Lend(ring);
  ring.PostTx(WithHeader({}, Frame(settings_.copy_threshold())));
  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_FALSE(IsZcopy(got_[0]));
  EXPECT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(Copied(CopyReason::kSmall), 1u);

  settings_.Set({.enabled = false});
  ring.PostTx(WithHeader({}, Frame(1518)));
  ASSERT_EQ(Dequeue(ring), 1);
  EXPECT_FALSE(IsZcopy(got_[1]));
  EXPECT_EQ(ring.used_idx(), 2);
  EXPECT_EQ(Copied(CopyReason::kDisabled), 1u);
  EXPECT_EQ(zc_.inflight.Read(), 0u);
}

TEST_F(ZcopyDequeueTest, AtMaxInflightPacketsAreCopiedAndTheGuestKeepsItsRing) {
  GuestRing ring(16);
  Lend(ring);
  settings_.Set({.max_inflight = 3});
  for (int i = 0; i < 5; ++i) ring.PostTx(WithHeader({}, Frame(2000)));
  ASSERT_EQ(Dequeue(ring), 5);
  EXPECT_EQ(zc_.inflight.Read(), 3u);
  EXPECT_EQ(Copied(CopyReason::kInflightFull), 2u);
  EXPECT_EQ(ring.used_idx(), 2);  // the copies' buffers, at once
}

TEST_F(ZcopyDequeueTest, HalfTheRingStaysTheGuestsWhateverMaxInflightSays) {
  GuestRing ring(8);
  Lend(ring);
  settings_.Set({.max_inflight = 32768});
  for (int i = 0; i < 8; ++i) ring.PostTx(WithHeader({}, Frame(1600)));
  ASSERT_EQ(Dequeue(ring), 8);
  EXPECT_EQ(zc_.inflight.Read(), 4u);
  EXPECT_EQ(Copied(CopyReason::kInflightFull), 4u);
  EXPECT_EQ(ring.used_idx(), 4);
}

TEST_F(ZcopyDequeueTest, HeadOfferedAgainWhileLentIsDroppedNotReturnedTwice) {
  GuestRing ring(256);
  Lend(ring);
  const uint16_t head = ring.PostTx(WithHeader({}, Frame(1518)));
  ASSERT_EQ(Dequeue(ring), 1);
  ring.Offer(head);  // a hostile guest: the same buffer again
  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(zc_.head_in_use.Read(), 1u);
  EXPECT_EQ(ring.used_idx(), 0);
  Free(0);
  Dequeue(ring);
  EXPECT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(ring.used(0).id, head);
}

TEST_F(ZcopyDequeueTest, OrphanedPacketIsACopyAndReleasesTheBufferAtOnce) {
  GuestRing ring(256);
  Lend(ring);
  const std::vector<uint8_t> frame = Frame(1518);
  ring.PostTx(WithHeader({}, frame));
  ASSERT_EQ(Dequeue(ring), 1);
  rte_mbuf* copy = OrphanZcopy(got_[0], g_pool, CopyReason::kNotPrompt);
  got_[0] = copy;
  ASSERT_NE(copy, nullptr);
  EXPECT_FALSE(IsZcopy(copy));
  EXPECT_EQ(Bytes(copy), frame);
  EXPECT_EQ(Dequeue(ring), 0);
  EXPECT_EQ(ring.used_idx(), 1) << "the orphaned packet's buffer was not released";
  EXPECT_EQ(Copied(CopyReason::kNotPrompt), 1u);
  EXPECT_EQ(zc_.packets.Read(), 0u);
}

TEST_F(ZcopyDequeueTest, StoppingVringGetsBackWhatComesBackWithinTheWait) {
  GuestRing ring(256);
  Lend(ring);
  ring.PostTx(WithHeader({}, Frame(1518)));
  ASSERT_EQ(Dequeue(ring), 1);
  rte_mbuf* lent = got_[0];
  got_.clear();
  std::thread nic([lent] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    rte_pktmbuf_free(lent);  // the NIC completes, on another thread
  });
  RetireInflight(ring.live(), true, 2000000);
  nic.join();
  lending_.clear();
  EXPECT_EQ(ring.used_idx(), 1);
  EXPECT_EQ(zc_.abandoned.Read(), 0u);
  EXPECT_EQ(ring.live().inflight, nullptr);
}

TEST_F(ZcopyDequeueTest, AbandonedBuffersKeepTheirMemoryAndAreNeverWritten) {
  auto ring = std::make_unique<GuestRing>(256);
  Lend(*ring);
  const std::vector<uint8_t> frame = Frame(1518);
  ring->PostTx(WithHeader({}, frame));
  ASSERT_EQ(Dequeue(*ring), 1);
  std::weak_ptr<const GuestMemory> memory = ring->live().memory;
  RetireInflight(ring->live(), false, 0);  // the front-end is gone
  lending_.clear();
  EXPECT_EQ(zc_.abandoned.Read(), 1u);
  const uint16_t used = ring->used_idx();
  ring.reset();  // the vring and every other reference to the memory
  EXPECT_FALSE(memory.expired()) << "guest memory unmapped under a lent buffer";
  EXPECT_EQ(Bytes(got_[0]), frame);  // still readable (ASan would object)
  Free(0);
  EXPECT_FALSE(memory.expired()) << "unmapped on the freeing thread, not by the sweep";
  EXPECT_EQ(SweepRetiredInflightTables(), 1u);
  EXPECT_TRUE(memory.expired());
  EXPECT_EQ(used, 0);
}

}  // namespace
}  // namespace zcswitch
