// PortVlan and VlanMap on real mbufs: how each kind of port classifies
// untagged, tagged and priority-tagged frames, the tag taken off on receive
// and put on at a trunk's egress, and the per-VLAN flood lists.
#include "lib/switch/vlan.h"

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr uint8_t kDst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xd1};
constexpr uint8_t kSrc[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x51};
constexpr uint16_t kIpv4 = 0x0800;

// dst, src, [0x8100, tci,] ethertype, then `payload` bytes counting up.
std::vector<uint8_t> Frame(std::optional<uint16_t> tci, uint16_t payload = 46) {
  std::vector<uint8_t> f(kDst, kDst + 6);
  f.insert(f.end(), kSrc, kSrc + 6);
  if (tci) {
    f.push_back(0x81);
    f.push_back(0x00);
    f.push_back(static_cast<uint8_t>(*tci >> 8));
    f.push_back(static_cast<uint8_t>(*tci));
  }
  f.push_back(kIpv4 >> 8);
  f.push_back(kIpv4 & 0xff);
  for (uint16_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(i * 7 + 1));
  return f;
}

rte_mbuf* ToMbuf(const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return nullptr;
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  EXPECT_NE(d, nullptr);
  std::copy(bytes.begin(), bytes.end(), d);
  return m;
}

std::vector<uint8_t> Bytes(const rte_mbuf* m) {
  std::vector<uint8_t> out(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, out.size(), out.data());
  if (p != out.data()) std::copy_n(static_cast<const uint8_t*>(p), out.size(), out.begin());
  return out;
}

// Every test's mbufs go back to the pool.
class VlanTest : public ::testing::Test {
 protected:
  void SetUp() override { in_use_before_ = rte_mempool_in_use_count(g_pool); }
  void TearDown() override {
    for (rte_mbuf* m : mbufs_) rte_pktmbuf_free(m);
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), in_use_before_);
  }
  rte_mbuf* Mbuf(const std::vector<uint8_t>& bytes) {
    rte_mbuf* m = ToMbuf(bytes);
    mbufs_.push_back(m);
    return m;
  }

  std::vector<rte_mbuf*> mbufs_;
  unsigned in_use_before_ = 0;
};

// --- Membership --------------------------------------------------------------

TEST(PortVlanTest, UntaggedCarriesOnlyTheUntaggedDomain) {
  const PortVlan p = PortVlan::Untagged();
  EXPECT_EQ(p.kind(), PortVlan::Kind::kUntagged);
  EXPECT_TRUE(p.Carries(kUntaggedVlan));
  EXPECT_FALSE(p.Carries(1));
  EXPECT_FALSE(p.Carries(kMaxVlan));
  EXPECT_THAT(p.Vlans(), ElementsAre(kUntaggedVlan));
}

TEST(PortVlanTest, AccessCarriesItsVlanOnly) {
  const PortVlan p = PortVlan::Access(10);
  EXPECT_EQ(p.kind(), PortVlan::Kind::kAccess);
  EXPECT_EQ(p.access_vlan(), 10);
  EXPECT_TRUE(p.Carries(10));
  EXPECT_FALSE(p.Carries(kUntaggedVlan));
  EXPECT_FALSE(p.Carries(11));
  EXPECT_FALSE(p.Carries(9));
  EXPECT_THAT(p.Vlans(), ElementsAre(10));
}

TEST(PortVlanTest, TrunkCarriesItsSetAscendingAndNoNativeVlan) {
  const std::vector<uint16_t> set = {300, 10, kMaxVlan, 1, 20};
  const PortVlan p = PortVlan::Trunk(set);
  EXPECT_EQ(p.kind(), PortVlan::Kind::kTrunk);
  for (uint16_t v : set) EXPECT_TRUE(p.Carries(v)) << v;
  EXPECT_FALSE(p.Carries(kUntaggedVlan));  // no native VLAN
  EXPECT_FALSE(p.Carries(2));
  EXPECT_FALSE(p.Carries(301));
  EXPECT_FALSE(p.Carries(kMaxVlan + 1));  // 4095 is reserved
  EXPECT_THAT(p.Vlans(), ElementsAre(1, 10, 20, 300, kMaxVlan));
}

TEST(PortVlanTest, TrunkWithADuplicateListsItOnce) {
  const std::vector<uint16_t> set = {20, 10, 20};
  EXPECT_THAT(PortVlan::Trunk(set).Vlans(), ElementsAre(10, 20));
}

// --- Ingress -----------------------------------------------------------------

TEST_F(VlanTest, UntaggedFrameOnUntaggedPortIsVlanZeroAndUntouched) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(frame);
  EXPECT_EQ(PortVlan::Untagged().Ingress(m), std::optional<uint16_t>(kUntaggedVlan));
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, UntaggedFrameOnAccessPortTakesTheAccessVlan) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(frame);
  EXPECT_EQ(PortVlan::Access(42).Ingress(m), std::optional<uint16_t>(42));
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, UntaggedFrameOnTrunkIsRefusedAndLeftAsItWas) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(frame);
  const std::vector<uint16_t> set = {10, 20};
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, TaggedFrameOnTrunkGivesItsVlanWithTheTagTakenOff) {
  // PCP 5, DEI 1, VLAN 20: only the VLAN ID matters.
  const uint16_t tci = (5 << 13) | (1 << 12) | 20;
  const auto tagged = Frame(tci);
  const auto untagged = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(tagged);
  const std::vector<uint16_t> set = {10, 20};
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(m), std::optional<uint16_t>(20));
  // MACs intact, the original ethertype right after them, payload as it was.
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), tagged.size() - 4);
  EXPECT_EQ(rte_pktmbuf_data_len(m), tagged.size() - 4);
  EXPECT_EQ(Bytes(m), untagged);
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  EXPECT_EQ(rte_be_to_cpu_16(eth->ether_type), kIpv4);
}

TEST_F(VlanTest, TaggedFrameOfAnotherVlanOnTrunkIsRefusedAndLeftAsItWas) {
  const std::vector<uint16_t> set = {10, 20};
  const PortVlan trunk = PortVlan::Trunk(set);
  for (uint16_t vlan : {uint16_t{30}, uint16_t{1}, uint16_t{kMaxVlan}}) {
    const auto frame = Frame(vlan);
    rte_mbuf* m = Mbuf(frame);
    EXPECT_EQ(trunk.Ingress(m), std::nullopt) << vlan;
    EXPECT_EQ(Bytes(m), frame) << vlan;
  }
}

// VID 4095 is reserved: no port carries it, and a frame bearing it is refused
// like any other VLAN the port lacks (it must not throw or read past the set).
TEST_F(VlanTest, ReservedVid4095OnTrunkIsRefused) {
  const std::vector<uint16_t> set = {10, kMaxVlan};
  const PortVlan trunk = PortVlan::Trunk(set);
  const auto frame = Frame(uint16_t{0x0fff});
  rte_mbuf* m = Mbuf(frame);
  std::optional<uint16_t> vlan = 1;
  EXPECT_NO_THROW(vlan = trunk.Ingress(m));
  EXPECT_EQ(vlan, std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, ReservedVid4095OnAccessAndUntaggedPortsIsRefused) {
  const auto frame = Frame(uint16_t{0x0fff});
  rte_mbuf* a = Mbuf(frame);
  rte_mbuf* u = Mbuf(frame);
  std::optional<uint16_t> va = 1, vu = 1;
  EXPECT_NO_THROW(va = PortVlan::Access(kMaxVlan).Ingress(a));
  EXPECT_NO_THROW(vu = PortVlan::Untagged().Ingress(u));
  EXPECT_EQ(va, std::nullopt);
  EXPECT_EQ(vu, std::nullopt);
}

TEST_F(VlanTest, TaggedFrameOfAnotherVlanOnAccessPortIsRefused) {
  const auto frame = Frame(20);
  rte_mbuf* m = Mbuf(frame);
  EXPECT_EQ(PortVlan::Access(10).Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

// An access port's VLAN is implied: a frame tagged even with that VLAN is
// not one an access port takes.
TEST_F(VlanTest, FrameTaggedWithTheAccessVlanOnAccessPortIsRefused) {
  const auto frame = Frame(10);
  rte_mbuf* m = Mbuf(frame);
  EXPECT_EQ(PortVlan::Access(10).Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, TaggedFrameOnUntaggedPortIsRefused) {
  const auto frame = Frame(10);
  rte_mbuf* m = Mbuf(frame);
  EXPECT_EQ(PortVlan::Untagged().Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

TEST_F(VlanTest, PriorityTaggedFrameCountsAsUntaggedAndLosesItsTag) {
  const uint16_t priority_only = 6 << 13;  // PCP 6, VLAN 0
  const auto untagged = Frame(std::nullopt);
  {
    rte_mbuf* m = Mbuf(Frame(priority_only));
    EXPECT_EQ(PortVlan::Untagged().Ingress(m), std::optional<uint16_t>(kUntaggedVlan));
    EXPECT_EQ(Bytes(m), untagged);
  }
  {
    rte_mbuf* m = Mbuf(Frame(priority_only));
    EXPECT_EQ(PortVlan::Access(7).Ingress(m), std::optional<uint16_t>(7));
    EXPECT_EQ(Bytes(m), untagged);
  }
}

TEST_F(VlanTest, PriorityTaggedFrameOnTrunkIsRefused) {
  const auto frame = Frame(uint16_t{3 << 13});
  rte_mbuf* m = Mbuf(frame);
  const std::vector<uint16_t> set = {1, 10};
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

// A NIC that took the tag off already says so in the mbuf; the bytes are
// then untagged and stay as they are.
TEST_F(VlanTest, TagStrippedByTheNicIsHonoured) {
  const auto untagged = Frame(std::nullopt);
  const std::vector<uint16_t> set = {20};
  rte_mbuf* t = Mbuf(untagged);
  t->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  t->vlan_tci = 20;
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(t), std::optional<uint16_t>(20));
  EXPECT_EQ(Bytes(t), untagged);

  rte_mbuf* a = Mbuf(untagged);
  a->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  a->vlan_tci = 20;
  EXPECT_EQ(PortVlan::Access(20).Ingress(a), std::nullopt);

  rte_mbuf* other = Mbuf(untagged);
  other->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  other->vlan_tci = 30;
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(other), std::nullopt);
}

TEST_F(VlanTest, TruncatedTagIsRefusedWithoutReadingPastTheData) {
  auto frame = Frame(uint16_t{10});
  frame.resize(15);  // MACs, 0x8100 and half a TCI
  rte_mbuf* m = Mbuf(frame);
  const std::vector<uint16_t> set = {10};
  EXPECT_EQ(PortVlan::Trunk(set).Ingress(m), std::nullopt);
  EXPECT_EQ(Bytes(m), frame);
}

// A guest's offload request measures its headers from the frame's start: the
// L2 header shrinks by the tag on receive and grows by it at a trunk's egress,
// so a checksum done later in software lands where it should.
TEST_F(VlanTest, OffloadRequestsL2LenFollowsTheTag) {
  const std::vector<uint16_t> set = {10};
  const PortVlan trunk = PortVlan::Trunk(set);
  rte_mbuf* m = Mbuf(Frame(uint16_t{10}));
  m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
  m->l2_len = 18;
  m->l3_len = 20;
  ASSERT_EQ(trunk.Ingress(m), std::optional<uint16_t>(10));
  EXPECT_EQ(m->l2_len, 14);
  EXPECT_EQ(m->l3_len, 20);
  ASSERT_TRUE(trunk.Egress(m, 10));
  EXPECT_EQ(m->l2_len, 18);
  EXPECT_EQ(m->l3_len, 20);

  // Priority-tagged on an access port: the same.
  rte_mbuf* p = Mbuf(Frame(uint16_t{4 << 13}));
  p->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  p->l2_len = 18;
  ASSERT_EQ(PortVlan::Access(10).Ingress(p), std::optional<uint16_t>(10));
  EXPECT_EQ(p->l2_len, 14);
  ASSERT_TRUE(PortVlan::Access(10).Egress(p, 10));
  EXPECT_EQ(p->l2_len, 14);
}

// --- Egress ------------------------------------------------------------------

TEST_F(VlanTest, TrunkEgressPutsTheVlansTagOn) {
  const auto untagged = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(untagged);
  const std::vector<uint16_t> set = {10, 300};
  ASSERT_TRUE(PortVlan::Trunk(set).Egress(m, 300));
  // The frame as a tagged one of VLAN 300 (priority 0) would be.
  EXPECT_EQ(Bytes(m), Frame(uint16_t{300}));
  EXPECT_EQ(rte_pktmbuf_pkt_len(m), untagged.size() + 4);
  // The tag is in the data, not left to an offload.
  EXPECT_FALSE(m->ol_flags & RTE_MBUF_F_TX_VLAN);
}

TEST_F(VlanTest, AccessAndUntaggedEgressSendTheFrameAsItIs) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* a = Mbuf(frame);
  rte_mbuf* u = Mbuf(frame);
  EXPECT_TRUE(PortVlan::Access(10).Egress(a, 10));
  EXPECT_TRUE(PortVlan::Untagged().Egress(u, kUntaggedVlan));
  EXPECT_EQ(Bytes(a), frame);
  EXPECT_EQ(Bytes(u), frame);
  EXPECT_FALSE(a->ol_flags & RTE_MBUF_F_TX_VLAN);
  EXPECT_FALSE(u->ol_flags & RTE_MBUF_F_TX_VLAN);
}

TEST_F(VlanTest, IngressThenEgressOnTrunksRestoresTheFrame) {
  const std::vector<uint16_t> set = {5, 6};
  const PortVlan trunk = PortVlan::Trunk(set);
  const auto tagged = Frame(uint16_t{6});
  rte_mbuf* m = Mbuf(tagged);
  ASSERT_EQ(trunk.Ingress(m), std::optional<uint16_t>(6));
  ASSERT_TRUE(trunk.Egress(m, 6));
  EXPECT_EQ(Bytes(m), tagged);
}

TEST_F(VlanTest, TrunkEgressFailsWithoutHeadroom) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  ASSERT_NE(m, nullptr);
  mbufs_.push_back(m);
  m->data_off = 0;  // the frame starts at the buffer's first byte
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  ASSERT_NE(d, nullptr);
  std::copy(frame.begin(), frame.end(), d);
  const std::vector<uint16_t> set = {10};
  EXPECT_FALSE(PortVlan::Trunk(set).Egress(m, 10));
}

TEST_F(VlanTest, TrunkEgressFailsOnASharedMbuf) {
  const auto frame = Frame(std::nullopt);
  rte_mbuf* m = Mbuf(frame);
  rte_mbuf_refcnt_update(m, 1);  // someone else holds it too
  const std::vector<uint16_t> set = {10};
  EXPECT_FALSE(PortVlan::Trunk(set).Egress(m, 10));
  EXPECT_EQ(Bytes(m), frame);  // the other holder's data is untouched
  rte_pktmbuf_free(m);         // the other holder's reference
}

// --- VlanMap -----------------------------------------------------------------

TEST(VlanMapTest, MembersAreThePortsCarryingEachVlanAscending) {
  const std::vector<uint16_t> t1 = {10, 20};
  const std::vector<uint16_t> t2 = {20, 30};
  VlanMap map({
      PortVlan::Untagged(),   // 0
      PortVlan::Access(10),   // 1
      PortVlan::Trunk(t1),    // 2
      PortVlan::Access(20),   // 3
      PortVlan::Untagged(),   // 4
      PortVlan::Trunk(t2),    // 5
      PortVlan::Access(10),   // 6
  });
  EXPECT_EQ(map.num_ports(), 7u);
  EXPECT_EQ(map.port(3).kind(), PortVlan::Kind::kAccess);
  EXPECT_EQ(map.port(3).access_vlan(), 20);
  EXPECT_EQ(map.port(5).kind(), PortVlan::Kind::kTrunk);
  EXPECT_THAT(map.Members(kUntaggedVlan), ElementsAre(0, 4));
  EXPECT_THAT(map.Members(10), ElementsAre(1, 2, 6));
  EXPECT_THAT(map.Members(20), ElementsAre(2, 3, 5));
  EXPECT_THAT(map.Members(30), ElementsAre(5));
  EXPECT_THAT(map.Members(11), IsEmpty());
  EXPECT_THAT(map.Members(kMaxVlan), IsEmpty());
  EXPECT_THAT(map.Members(kMaxVlan + 1), IsEmpty());
  EXPECT_THAT(map.Members(UINT16_MAX), IsEmpty());
}

TEST(VlanMapTest, EmptyMapHasNoMembers) {
  VlanMap map({});
  EXPECT_EQ(map.num_ports(), 0u);
  EXPECT_THAT(map.Members(kUntaggedVlan), IsEmpty());
  EXPECT_THAT(map.Members(1), IsEmpty());
}

}  // namespace
}  // namespace zcswitch
