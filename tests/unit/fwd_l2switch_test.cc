// The l2switch engine on real mbufs, a real FDB and ports that keep what
// they are sent: flooding within a VLAN, unicast to learned ports, tags at
// the edges, and every way a packet is dropped.
#include "lib/switch/fwd_l2switch.h"

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "lib/dataplane/quiescence.h"
#include "lib/offload/soft_offload.h"
#include "gtest/gtest.h"
#include "lib/zcopy/zcopy_mbuf.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr rte_ether_addr kBroadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
constexpr rte_ether_addr kMulticast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
constexpr rte_ether_addr kA = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}};
constexpr rte_ether_addr kB = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b}};
constexpr rte_ether_addr kC = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x0c}};
constexpr rte_ether_addr kUnknown = {{0x02, 0x00, 0x00, 0x00, 0x00, 0xee}};

// dst, src, [0x8100, tci,] IPv4 ethertype, `seq`, then bytes up to `len`
// (untagged length; a tag adds 4).
Bytes Frame(const rte_ether_addr& dst, const rte_ether_addr& src,
            std::optional<uint16_t> tci = std::nullopt, uint8_t seq = 0, uint16_t len = 64) {
  Bytes f(dst.addr_bytes, dst.addr_bytes + 6);
  f.insert(f.end(), src.addr_bytes, src.addr_bytes + 6);
  if (tci) {
    f.insert(f.end(), {0x81, 0x00, static_cast<uint8_t>(*tci >> 8), static_cast<uint8_t>(*tci)});
  }
  f.insert(f.end(), {0x08, 0x00, seq});
  for (uint16_t i = 15; i < len; ++i) f.push_back(static_cast<uint8_t>(i ^ seq));
  return f;
}

Bytes Contents(const rte_mbuf* m) {
  Bytes out(rte_pktmbuf_pkt_len(m));
  const void* p = rte_pktmbuf_read(m, 0, out.size(), out.data());
  if (p != out.data()) std::copy_n(static_cast<const uint8_t*>(p), out.size(), out.begin());
  return out;
}

// An IPv4/UDP frame asking for its UDP checksum to be done (a guest's
// request): its checksum field is left zero.
Bytes UdpFrame(const rte_ether_addr& dst, const rte_ether_addr& src,
               std::optional<uint16_t> tci = std::nullopt) {
  Bytes f(dst.addr_bytes, dst.addr_bytes + 6);
  f.insert(f.end(), src.addr_bytes, src.addr_bytes + 6);
  if (tci) {
    f.insert(f.end(), {0x81, 0x00, static_cast<uint8_t>(*tci >> 8), static_cast<uint8_t>(*tci)});
  }
  const size_t ip = f.size() + 2;
  constexpr uint16_t kPayload = 18;
  constexpr uint16_t kIpLen = 20 + 8 + kPayload;
  f.insert(f.end(), {0x08, 0x00,
                     0x45, 0x00, kIpLen >> 8, kIpLen & 0xff, 0x12, 0x34, 0x00, 0x00,
                     0x40, 17, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
                     0x04, 0xd2, 0x16, 0x2e, 0x00, 8 + kPayload, 0x00, 0x00});
  for (uint16_t i = 0; i < kPayload; ++i) f.push_back(static_cast<uint8_t>(0xa0 + i));
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += f[ip + i] << 8 | f[ip + i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[ip + 10] = static_cast<uint8_t>(~sum >> 8);
  f[ip + 11] = static_cast<uint8_t>(~sum);
  return f;
}

// Whether the UDP checksum of the IPv4 datagram at `ip` in `f` is right and
// not left out (zero).
bool UdpChecksumValid(const Bytes& f, size_t ip) {
  const size_t udp = ip + 20;
  const uint32_t udp_len = f[udp + 4] << 8 | f[udp + 5];
  if (udp + udp_len > f.size() || (f[udp + 6] == 0 && f[udp + 7] == 0)) return false;
  uint32_t sum = 17 + udp_len;
  for (size_t i = ip + 12; i < ip + 20; i += 2) sum += f[i] << 8 | f[i + 1];
  for (size_t i = 0; i < udp_len; i += 2) {
    sum += f[udp + i] << 8 | (i + 1 < udp_len ? f[udp + i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// The QSBR variable the FDB's hash reclaims through: one thread, never online.
// Ports (id: VLANs):
//   0, 1, 2: access VLAN 10
//   3:       trunk of VLANs 10 and 20
//   4:       access VLAN 20
//   5:       untagged
enum : uint16_t { kP0, kP1, kP2, kTrunk, kP20, kUntagged, kNumPorts };

constexpr uint32_t kT0 = 1000;

class L2SwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    in_use_before_ = rte_mempool_in_use_count(g_pool);
    ASSERT_NE(quiescence_, nullptr);
    static std::atomic<int> next{0};
    fdb_name_ = "l2swt" + std::to_string(next++);
    Fdb::Options o;
    o.capacity = 1024;
    o.aging_s = 300;
    o.lcores = 1;
    o.qsbr = quiescence_->qsbr();
    o.name = fdb_name_.c_str();
    auto fdb = Fdb::Create(o);
    ASSERT_TRUE(fdb.ok()) << fdb.status();
    fdb_ = *std::move(fdb);
    fdb_->Maintain(kT0);

    const std::vector<uint16_t> trunk = {10, 20};
    engine_ = std::make_unique<L2SwitchEngine>(
        fdb_.get(),
        VlanMap({PortVlan::Access(10), PortVlan::Access(10), PortVlan::Access(10),
                 PortVlan::Trunk(trunk), PortVlan::Access(20), PortVlan::Untagged()}),
        1);
    for (int i = 0; i < kNumPorts; ++i) {
      ports_.push_back(std::make_unique<ScriptedPort>("p" + std::to_string(i)));
      port_ptrs_.push_back(ports_.back().get());
    }
  }

  // Every mbuf a test made is either held by a port or back in the pool.
  void TearDown() override {
    engine_.reset();
    ports_.clear();
    fdb_.reset();
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), in_use_before_);
  }

  FwdContext Ctx() {
    return FwdContext{absl::MakeConstSpan(port_ptrs_), 0, 0, {copy_pool_, nullptr}};
  }

  rte_mbuf* Mbuf(const Bytes& bytes) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    EXPECT_NE(m, nullptr);
    char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
    EXPECT_NE(d, nullptr);
    std::copy(bytes.begin(), bytes.end(), d);
    return m;
  }

  // Forwards `frames` as one burst received on `in`.
  void Receive(uint16_t in, const std::vector<Bytes>& frames) {
    std::vector<rte_mbuf*> pkts;
    for (const Bytes& f : frames) pkts.push_back(Mbuf(f));
    Forward(in, pkts);
  }
  void Forward(uint16_t in, std::vector<rte_mbuf*>& pkts) {
    engine_->Forward(Ctx(), in, 0, pkts.data(), static_cast<uint16_t>(pkts.size()));
  }

  // Teaches the FDB that `mac` is behind `port` (in `port`'s VLAN, or the
  // tagged one on the trunk), the way traffic does: a frame from it, then the
  // writer's Maintain. The frame itself goes wherever it goes; sent packets
  // are forgotten afterwards.
  void Teach(const rte_ether_addr& mac, uint16_t port, std::optional<uint16_t> tci = {}) {
    Receive(port, {Frame(kBroadcast, mac, tci)});
    fdb_->Maintain(kT0);
    Forget();
  }

  // Frees what the ports were sent so far, and resets their counters' view.
  void Forget() {
    for (auto& p : ports_) {
      for (rte_mbuf* m : p->sent) rte_pktmbuf_free(m);
      p->sent.clear();
    }
    for (int i = 0; i < kNumPorts; ++i) baseline_[i] = ports_[i]->stats().Total();
  }

  ScriptedPort& port(uint16_t id) { return *ports_[id]; }
  // What happened on port `id` since the last Forget().
  PortCounters Counters(uint16_t id) { return ports_[id]->stats().Total() - baseline_[id]; }
  uint64_t RxDrops(uint16_t id, DropReason r) {
    return Counters(id).rx_drops[static_cast<size_t>(r)];
  }
  uint64_t TxDrops(uint16_t id, DropReason r) {
    return Counters(id).tx_drops[static_cast<size_t>(r)];
  }
  uint64_t AllDrops() {
    uint64_t n = 0;
    for (int i = 0; i < kNumPorts; ++i) n += Counters(i).rx_dropped() + Counters(i).tx_dropped();
    return n;
  }
  size_t AllSent() {
    size_t n = 0;
    for (auto& p : ports_) n += p->sent.size();
    return n;
  }
  std::vector<Bytes> SentTo(uint16_t id) {
    std::vector<Bytes> out;
    for (rte_mbuf* m : port(id).sent) out.push_back(Contents(m));
    return out;
  }

  unsigned in_use_before_ = 0;
  rte_mempool* copy_pool_ = g_pool;  // where flood copies come from
  // No lcore online: every grace period is over at once.
  std::unique_ptr<Quiescence> quiescence_ = Quiescence::Create(1).value();
  std::string fdb_name_;
  std::unique_ptr<Fdb> fdb_;
  std::unique_ptr<L2SwitchEngine> engine_;
  std::vector<std::unique_ptr<ScriptedPort>> ports_;
  std::vector<Port*> port_ptrs_;
  PortCounters baseline_[kNumPorts];
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(L2SwitchTest, BroadcastFloodsEveryOtherPortOfTheVlan) {
  const Bytes f = Frame(kBroadcast, kA);
  Receive(kP0, {f});
  EXPECT_THAT(SentTo(kP1), ElementsAre(f));
  EXPECT_THAT(SentTo(kP2), ElementsAre(f));
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kBroadcast, kA, 10)));  // tagged
  EXPECT_THAT(SentTo(kP0), IsEmpty());                                   // not back
  EXPECT_THAT(SentTo(kP20), IsEmpty());                                  // other VLAN
  EXPECT_THAT(SentTo(kUntagged), IsEmpty());                             // other VLAN
  EXPECT_EQ(Counters(kP1).tx_packets, 1u);
  EXPECT_EQ(Counters(kTrunk).tx_packets, 1u);
  EXPECT_EQ(Counters(kTrunk).tx_bytes, f.size() + 4);
  EXPECT_EQ(AllDrops(), 0u);
}

TEST_F(L2SwitchTest, UnknownUnicastAndMulticastAreFloodedLikeBroadcast) {
  const Bytes unknown = Frame(kUnknown, kA, std::nullopt, 1);
  const Bytes multicast = Frame(kMulticast, kA, std::nullopt, 2);
  Receive(kP1, {unknown, multicast});
  EXPECT_THAT(SentTo(kP0), ElementsAre(unknown, multicast));
  EXPECT_THAT(SentTo(kP2), ElementsAre(unknown, multicast));
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kUnknown, kA, 10, 1), Frame(kMulticast, kA, 10, 2)));
  EXPECT_THAT(SentTo(kP1), IsEmpty());
  EXPECT_THAT(SentTo(kP20), IsEmpty());
  EXPECT_THAT(SentTo(kUntagged), IsEmpty());
}

TEST_F(L2SwitchTest, EachFloodedDestinationGetsItsOwnCopy) {
  const Bytes f = Frame(kBroadcast, kA, std::nullopt, 7);
  Receive(kP0, {f});
  ASSERT_EQ(port(kP1).sent.size(), 1u);
  ASSERT_EQ(port(kP2).sent.size(), 1u);
  ASSERT_EQ(port(kTrunk).sent.size(), 1u);
  rte_mbuf* const copies[] = {port(kP1).sent[0], port(kP2).sent[0], port(kTrunk).sent[0]};
  std::set<const rte_mbuf*> mbufs(std::begin(copies), std::end(copies));
  EXPECT_EQ(mbufs.size(), 3u);
  std::set<const void*> data;
  for (rte_mbuf* m : copies) {
    data.insert(rte_pktmbuf_mtod(m, const void*));
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
  }
  EXPECT_EQ(data.size(), 3u) << "copies share packet data";
  EXPECT_EQ(Contents(copies[0]), Contents(copies[1]));

  // Writing one destination's packet leaves the others' alone.
  rte_pktmbuf_mtod(copies[0], uint8_t*)[20] ^= 0xff;
  EXPECT_EQ(Contents(copies[1]), f);
  EXPECT_EQ(Contents(copies[2]), Frame(kBroadcast, kA, 10, 7));
}

TEST_F(L2SwitchTest, LearnedUnicastGoesOnlyToItsPort) {
  // Not learned until the writer runs: the reply is flooded.
  Receive(kP1, {Frame(kBroadcast, kA)});
  Receive(kP0, {Frame(kA, kB)});
  EXPECT_EQ(port(kP1).sent.size(), 1u);
  EXPECT_EQ(port(kP2).sent.size(), 2u);
  Forget();

  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(kA, 10), kP1);
  EXPECT_EQ(fdb_->Lookup(kB, 10), kP0);
  const Bytes to_a = Frame(kA, kB, std::nullopt, 3);
  Receive(kP0, {to_a});
  EXPECT_THAT(SentTo(kP1), ElementsAre(to_a));
  EXPECT_EQ(AllSent(), 1u);
  EXPECT_EQ(AllDrops(), 0u);
}

TEST_F(L2SwitchTest, TrunkLearnsPerVlanAndTagsUnicastForIt) {
  Teach(kB, kTrunk, 20);
  EXPECT_EQ(fdb_->Lookup(kB, 20), kTrunk);
  EXPECT_EQ(fdb_->Lookup(kB, 10), -1);

  const Bytes to_b = Frame(kB, kC, std::nullopt, 4);
  Receive(kP20, {to_b});
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kB, kC, 20, 4)));
  EXPECT_EQ(AllSent(), 1u);
  Forget();

  // kB is unknown in VLAN 10: flooded there, not sent by VLAN 20's entry.
  Receive(kP0, {to_b});
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kB, kC, 10, 4)));
  EXPECT_THAT(SentTo(kP1), ElementsAre(to_b));
  EXPECT_THAT(SentTo(kP2), ElementsAre(to_b));
  EXPECT_EQ(AllSent(), 3u);
}

TEST_F(L2SwitchTest, TaggedFromTheTrunkLeavesAccessPortsUntagged) {
  Receive(kTrunk, {Frame(kBroadcast, kA, 10, 5), Frame(kBroadcast, kA, 20, 6)});
  const Bytes plain5 = Frame(kBroadcast, kA, std::nullopt, 5);
  const Bytes plain6 = Frame(kBroadcast, kA, std::nullopt, 6);
  EXPECT_THAT(SentTo(kP0), ElementsAre(plain5));
  EXPECT_THAT(SentTo(kP1), ElementsAre(plain5));
  EXPECT_THAT(SentTo(kP2), ElementsAre(plain5));
  EXPECT_THAT(SentTo(kP20), ElementsAre(plain6));
  EXPECT_THAT(SentTo(kTrunk), IsEmpty());
  EXPECT_THAT(SentTo(kUntagged), IsEmpty());
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(kA, 10), kTrunk);
  EXPECT_EQ(fdb_->Lookup(kA, 20), kTrunk);
}

TEST_F(L2SwitchTest, TaggedFrameOnAnAccessPortIsDroppedAsVlanFilter) {
  Receive(kP0, {Frame(kBroadcast, kA, 20)});
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(RxDrops(kP0, DropReason::kVlanFilter), 1u);
  EXPECT_EQ(AllDrops(), 1u);
  // A refused frame teaches nothing.
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(kA, 20), -1);
  EXPECT_EQ(fdb_->Lookup(kA, 10), -1);
  EXPECT_EQ(fdb_->Stats().entries, 0u);
}

TEST_F(L2SwitchTest, FramesAPortDoesNotCarryAreDroppedAsVlanFilter) {
  Receive(kTrunk, {Frame(kBroadcast, kA)});             // untagged on a trunk
  Receive(kTrunk, {Frame(kBroadcast, kA, 30)});         // a VLAN it lacks
  Receive(kUntagged, {Frame(kBroadcast, kA, 10)});      // tagged on untagged
  Receive(kP1, {Frame(kBroadcast, kA, 10)});            // tagged with its own VLAN
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(RxDrops(kTrunk, DropReason::kVlanFilter), 2u);
  EXPECT_EQ(RxDrops(kUntagged, DropReason::kVlanFilter), 1u);
  EXPECT_EQ(RxDrops(kP1, DropReason::kVlanFilter), 1u);
  EXPECT_EQ(AllDrops(), 4u);
}

TEST_F(L2SwitchTest, VlanFilterDropsOnlyTheRefusedFramesOfABurst) {
  const Bytes ok1 = Frame(kBroadcast, kA, std::nullopt, 1);
  const Bytes ok3 = Frame(kBroadcast, kA, std::nullopt, 3);
  Receive(kP0, {ok1, Frame(kBroadcast, kA, 20, 2), ok3});
  EXPECT_THAT(SentTo(kP1), ElementsAre(ok1, ok3));
  EXPECT_EQ(RxDrops(kP0, DropReason::kVlanFilter), 1u);
}

TEST_F(L2SwitchTest, HairpinIsDroppedAsNoRoute) {
  Teach(kA, kP0);
  ASSERT_EQ(fdb_->Lookup(kA, 10), kP0);
  Receive(kP0, {Frame(kA, kB)});
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(Counters(kP0).drops(DropReason::kNoRoute), 1u);
  EXPECT_EQ(AllDrops(), 1u);
}

TEST_F(L2SwitchTest, FloodWithNoOtherMemberIsDroppedAsNoRoute) {
  // The untagged port is the only one in VLAN 0.
  Receive(kUntagged, {Frame(kBroadcast, kA), Frame(kUnknown, kA)});
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(Counters(kUntagged).drops(DropReason::kNoRoute), 2u);
  EXPECT_EQ(AllDrops(), 2u);
}

TEST_F(L2SwitchTest, RuntsAreDropped) {
  const Bytes good = Frame(kBroadcast, kA, std::nullopt, 9);
  Bytes runt = Frame(kBroadcast, kA);
  runt.resize(13);
  Receive(kP0, {runt, good, Bytes(1, 0xff)});
  EXPECT_EQ(RxDrops(kP0, DropReason::kRunt), 2u);
  EXPECT_THAT(SentTo(kP1), ElementsAre(good));
  EXPECT_EQ(AllDrops(), 2u);
}

TEST_F(L2SwitchTest, TagWithoutRoomForItsEthertypeIsDropped) {
  // 12 bytes of MACs and 0x8100, then only the TCI: no inner ethertype.
  Bytes cut = Frame(kBroadcast, kA, 10);
  cut.resize(16);
  Receive(kTrunk, {cut});
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(AllDrops(), 1u);
}

TEST_F(L2SwitchTest, PacketsKeepTheirOrderPerDestination) {
  Teach(kA, kP1);
  std::vector<Bytes> burst;
  for (uint8_t i = 0; i < 6; ++i) {
    burst.push_back(Frame(i % 2 == 0 ? kA : kBroadcast, kB, std::nullopt, i));
  }
  Receive(kP0, burst);
  EXPECT_EQ(SentTo(kP1), burst);
  EXPECT_THAT(SentTo(kP2), ElementsAre(burst[1], burst[3], burst[5]));
  EXPECT_EQ(port(kTrunk).sent.size(), 3u);
}

TEST_F(L2SwitchTest, AFullBurstOfBroadcastsReachesEveryDestination) {
  std::vector<Bytes> burst;
  for (uint8_t i = 0; i < L2SwitchEngine::kBurst; ++i) {
    burst.push_back(Frame(kBroadcast, kA, std::nullopt, i));
  }
  Receive(kP0, burst);
  EXPECT_EQ(SentTo(kP1), burst);
  EXPECT_EQ(SentTo(kP2), burst);
  ASSERT_EQ(port(kTrunk).sent.size(), burst.size());
  for (uint8_t i = 0; i < L2SwitchEngine::kBurst; ++i) {
    EXPECT_EQ(Contents(port(kTrunk).sent[i]), Frame(kBroadcast, kA, 10, i));
  }
  EXPECT_EQ(AllDrops(), 0u);
}

TEST_F(L2SwitchTest, ADownPortMissesTheFloodAndTheOthersGetIt) {
  port(kP2).SetLink(false);
  const Bytes f = Frame(kBroadcast, kA);
  Receive(kP0, {f});
  EXPECT_THAT(SentTo(kP1), ElementsAre(f));
  EXPECT_THAT(SentTo(kP2), IsEmpty());
  EXPECT_EQ(port(kTrunk).sent.size(), 1u);
  EXPECT_EQ(TxDrops(kP2, DropReason::kLinkDown), 1u);
}

TEST_F(L2SwitchTest, StaticEntryOutsideTheVlanSendsNothingAcrossVlans) {
  // A static entry for VLAN 10 pointing at VLAN 20's access port.
  ASSERT_TRUE(fdb_->AddStatic(kC, 10, kP20).ok());
  Receive(kP0, {Frame(kC, kA)});
  EXPECT_THAT(SentTo(kP20), IsEmpty());
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(AllDrops(), 1u);
}

// While `port del` runs, lcores may forward on a table where the port's id
// is free (no port, no VLAN) and the FDB still points at it.
TEST_F(L2SwitchTest, AnEntryForARemovedPortFloodsInsteadOfSending) {
  Teach(kC, kP2);
  const std::vector<uint16_t> trunk = {10, 20};
  engine_ = std::make_unique<L2SwitchEngine>(
      fdb_.get(),
      VlanMap({PortVlan::Access(10), PortVlan::Access(10), PortVlan::Trunk({}),
               PortVlan::Trunk(trunk), PortVlan::Access(20), PortVlan::Untagged()}),
      1);
  port_ptrs_[kP2] = nullptr;
  ASSERT_EQ(fdb_->Lookup(kC, 10), kP2);
  Receive(kP0, {Frame(kC, kA)});
  EXPECT_THAT(SentTo(kP1), ElementsAre(Frame(kC, kA)));
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kC, kA, 10)));
  EXPECT_THAT(SentTo(kP2), IsEmpty());
  EXPECT_EQ(AllDrops(), 0u);
  // A broadcast's flood list has no hole in it either.
  Forget();
  Receive(kP0, {Frame(kBroadcast, kA)});
  EXPECT_EQ(AllSent(), 2u);
  EXPECT_THAT(SentTo(kP2), IsEmpty());
}

// The engine asks the FDB once per run of equal addresses in a burst: the
// same MACs in another VLAN are another question.
TEST_F(L2SwitchTest, OneBurstSameMacsInTwoVlansAreLearnedAndLookedUpApart) {
  ASSERT_TRUE(fdb_->AddStatic(kC, 10, kP1).ok());
  Receive(kTrunk, {Frame(kC, kA, 10, 1), Frame(kC, kA, 10, 2), Frame(kC, kA, 20, 3),
                   Frame(kC, kA, 10, 4)});
  EXPECT_THAT(SentTo(kP1), ElementsAre(Frame(kC, kA, std::nullopt, 1),
                                        Frame(kC, kA, std::nullopt, 2),
                                        Frame(kC, kA, std::nullopt, 4)));
  EXPECT_THAT(SentTo(kP20), ElementsAre(Frame(kC, kA, std::nullopt, 3)));  // unknown in 20
  EXPECT_EQ(AllSent(), 4u);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(kA, 10), kTrunk);
  EXPECT_EQ(fdb_->Lookup(kA, 20), kTrunk);
}

TEST_F(L2SwitchTest, StaticEntryDirectsUnicast) {
  ASSERT_TRUE(fdb_->AddStatic(kC, 20, kTrunk).ok());
  Receive(kP20, {Frame(kC, kA)});
  EXPECT_THAT(SentTo(kTrunk), ElementsAre(Frame(kC, kA, 20)));
  EXPECT_EQ(AllSent(), 1u);
}

TEST_F(L2SwitchTest, LearnsTheSourceInItsVlanOnItsPort) {
  Receive(kP2, {Frame(kBroadcast, kA)});
  Receive(kTrunk, {Frame(kBroadcast, kB, 20)});
  Receive(kUntagged, {Frame(kBroadcast, kC)});
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(kA, 10), kP2);
  EXPECT_EQ(fdb_->Lookup(kB, 20), kTrunk);
  EXPECT_EQ(fdb_->Lookup(kC, 0), kUntagged);
  EXPECT_EQ(fdb_->Stats().entries, 3u);
}

TEST_F(L2SwitchTest, AMovedMacIsFollowed) {
  Teach(kA, kP1);
  fdb_->Maintain(kT0 + 1);
  Receive(kP2, {Frame(kBroadcast, kA)});
  fdb_->Maintain(kT0 + 1);
  Forget();
  EXPECT_EQ(fdb_->Stats().moves, 1u);
  const Bytes to_a = Frame(kA, kB);
  Receive(kP0, {to_a});
  EXPECT_THAT(SentTo(kP2), ElementsAre(to_a));
  EXPECT_EQ(AllSent(), 1u);
}

TEST_F(L2SwitchTest, MoreThanABurstForOneDestinationAllGoesInOrder) {
  Teach(kA, kP1);
  std::vector<Bytes> burst;
  for (uint8_t i = 0; i < 2 * L2SwitchEngine::kBurst + 5; ++i) {
    burst.push_back(Frame(i % 3 == 0 ? kBroadcast : kA, kB, std::nullopt, i));
  }
  Receive(kP0, burst);
  EXPECT_EQ(SentTo(kP1), burst);
  size_t broadcasts = 0;
  for (const Bytes& f : burst) broadcasts += f[0] == 0xff;
  EXPECT_EQ(port(kP2).sent.size(), broadcasts);
  EXPECT_EQ(port(kTrunk).sent.size(), broadcasts);
  EXPECT_EQ(AllDrops(), 0u);
}

TEST_F(L2SwitchTest, AGroupOrZeroSourceIsNotLearned) {
  const rte_ether_addr zero = {};
  Receive(kP0, {Frame(kBroadcast, kMulticast), Frame(kBroadcast, kBroadcast),
                Frame(kBroadcast, zero)});
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Stats().learned, 0u);
  EXPECT_TRUE(fdb_->Entries().empty());
  // A frame to that group is still flooded, not sent to where it came from.
  Forget();
  Receive(kP1, {Frame(kMulticast, kA)});
  EXPECT_EQ(port(kP0).sent.size(), 1u);
  EXPECT_EQ(port(kP2).sent.size(), 1u);
}

TEST_F(L2SwitchTest, FloodCopiesThePoolCannotGiveAreDroppedAsNoMbuf) {
  // A pool with one mbuf left: one copy can be made, not two.
  static std::atomic<int> next{0};
  const std::string name = "l2sw_tiny" + std::to_string(next++);
  rte_mempool* tiny = rte_pktmbuf_pool_create(name.c_str(), 8, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              SOCKET_ID_ANY);
  ASSERT_NE(tiny, nullptr);
  std::vector<rte_mbuf*> held(7);
  ASSERT_EQ(rte_pktmbuf_alloc_bulk(tiny, held.data(), 7), 0);
  copy_pool_ = tiny;

  const Bytes f = Frame(kBroadcast, kA);
  Receive(kP0, {f});
  // Three destinations: two copies asked for, one made; the original too.
  EXPECT_EQ(AllSent(), 2u);
  EXPECT_EQ(TxDrops(kP1, DropReason::kNoMbuf) + TxDrops(kP2, DropReason::kNoMbuf) +
                TxDrops(kTrunk, DropReason::kNoMbuf),
            1u);
  EXPECT_EQ(AllDrops(), 1u);
  for (uint16_t id : {kP1, kP2}) {
    for (const Bytes& got : SentTo(id)) EXPECT_EQ(got, f);
  }
  for (const Bytes& got : SentTo(kTrunk)) EXPECT_EQ(got, Frame(kBroadcast, kA, 10));

  Forget();  // the copy goes back to `tiny` before it goes
  rte_pktmbuf_free_bulk(held.data(), 7);
  EXPECT_EQ(rte_mempool_in_use_count(tiny), 0u);
  rte_mempool_free(tiny);
}

TEST_F(L2SwitchTest, TagThatDoesNotFitIsDroppedNotSentUntagged) {
  Teach(kB, kTrunk, 10);
  // A frame from an access port with no headroom for the trunk's tag.
  const Bytes f = Frame(kB, kA);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  ASSERT_NE(m, nullptr);
  m->data_off = 0;
  std::copy(f.begin(), f.end(), rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())));
  std::vector<rte_mbuf*> pkts = {m};
  Forward(kP0, pkts);
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(TxDrops(kTrunk, DropReason::kOffload), 1u);
  EXPECT_EQ(AllDrops(), 1u);
}

TEST_F(L2SwitchTest, ReservedVid4095FromTheTrunkIsDroppedAsVlanFilter) {
  Bytes f = Frame(kBroadcast, kA, 0x0fff);
  std::vector<rte_mbuf*> pkts = {Mbuf(f)};
  EXPECT_NO_THROW(Forward(kTrunk, pkts));
  EXPECT_EQ(AllSent(), 0u);
  EXPECT_EQ(RxDrops(kTrunk, DropReason::kVlanFilter), 1u);
}

// A guest's checksum request crosses the trunk edge: the port (which does no
// offloads) gets it done in software, at the right offset with the tag on
// and with it off.
TEST_F(L2SwitchTest, ChecksumRequestsSurviveTaggingAndUntagging) {
  auto request = [this](const Bytes& f, uint8_t l2_len) {
    rte_mbuf* m = Mbuf(f);
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
    m->l2_len = l2_len;
    m->l3_len = 20;
    return m;
  };
  // Tagged from the trunk, flooded to VLAN 10's access ports untagged.
  std::vector<rte_mbuf*> pkts = {request(UdpFrame(kBroadcast, kB, 10), 18)};
  Forward(kTrunk, pkts);
  const Bytes untagged = UdpFrame(kBroadcast, kB);
  for (uint16_t id : {kP0, kP1, kP2}) {
    ASSERT_EQ(port(id).sent.size(), 1u) << id;
    const Bytes got = Contents(port(id).sent[0]);
    ASSERT_EQ(got.size(), untagged.size()) << id;
    EXPECT_TRUE(UdpChecksumValid(got, 14)) << id;
    // Everything but the checksum as sent.
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + 40, untagged.begin())) << id;
    EXPECT_TRUE(std::equal(got.begin() + 42, got.end(), untagged.begin() + 42)) << id;
  }
  EXPECT_EQ(AllDrops(), 0u);
  fdb_->Maintain(kT0);
  Forget();

  // Untagged from an access port, to kB behind the trunk: tagged.
  pkts = {request(UdpFrame(kB, kA), 14)};
  Forward(kP0, pkts);
  ASSERT_EQ(port(kTrunk).sent.size(), 1u);
  const Bytes got = Contents(port(kTrunk).sent[0]);
  const Bytes tagged = UdpFrame(kB, kA, 10);
  ASSERT_EQ(got.size(), tagged.size());
  EXPECT_TRUE(UdpChecksumValid(got, 18));
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + 44, tagged.begin()));
  EXPECT_EQ(AllSent(), 1u);
  EXPECT_EQ(AllDrops(), 0u);
}

// --- Flooding a zero-copy packet (the orphan rule) ---

class ZcopyFloodTest : public L2SwitchTest {
 protected:
  void SetUp() override {
    L2SwitchTest::SetUp();
    const Bytes f = Frame(kBroadcast, kA);
    std::copy(f.begin(), f.end(), guest_.begin());
    for (size_t i = f.size(); i < guest_.size(); ++i) guest_[i] = static_cast<uint8_t>(i);
  }
  void TearDown() override {
    Forget();
    Collect();
    InflightTable::Retire(table_);
    L2SwitchTest::TearDown();
  }
  std::vector<InflightTable::Completion> Collect() {
    InflightTable::Completion done[16];
    const uint16_t n = table_->Collect(done, 16, 0, counters_);
    return {done, done + n};
  }
  // A broadcast of 1000 bytes from kA, lent by a guest on kP0.
  void FloodLent() {
    std::vector<rte_mbuf*> pkts = {LentPacket(*table_, 7, guest_.data(), 1000)};
    Forward(kP0, pkts);
  }

  std::array<uint8_t, 1000> guest_;
  InflightTable* table_ = InflightTable::Create(16, nullptr);
  ZcopyCounters counters_;
};

TEST_F(ZcopyFloodTest, OnePromptMemberKeepsTheReferenceAndTheOthersGetCopies) {
  port(kP1).SetZcopyTarget(ZcopyTarget::kCopy);
  port(kP2).SetZcopyTarget(ZcopyTarget::kReference);
  port(kTrunk).SetZcopyTarget(ZcopyTarget::kCopy);
  FloodLent();
  ASSERT_EQ(port(kP1).sent.size(), 1u);
  ASSERT_EQ(port(kP2).sent.size(), 1u);
  ASSERT_EQ(port(kTrunk).sent.size(), 1u);
  EXPECT_FALSE(IsZcopy(port(kP1).sent[0]));
  EXPECT_TRUE(IsZcopy(port(kP2).sent[0]));
  EXPECT_FALSE(IsZcopy(port(kTrunk).sent[0]));
  EXPECT_EQ(Contents(port(kP1).sent[0]), Bytes(guest_.begin(), guest_.end()));
  EXPECT_EQ(Contents(port(kP2).sent[0]), Bytes(guest_.begin(), guest_.end()));
  EXPECT_TRUE(Collect().empty()) << "returned while kP2 holds the reference";
  Forget();
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].orphaned);
}

TEST_F(ZcopyFloodTest, WithoutAPromptMemberAGuestTakesTheOriginalAsItsCopy) {
  port(kP1).SetZcopyTarget(ZcopyTarget::kCopy);
  port(kP2).SetZcopyTarget(ZcopyTarget::kCopiesOut);
  port(kTrunk).SetZcopyTarget(ZcopyTarget::kCopy);
  FloodLent();
  ASSERT_EQ(port(kP2).sent.size(), 1u);
  EXPECT_TRUE(IsZcopy(port(kP2).sent[0]));
  EXPECT_FALSE(IsZcopy(port(kP1).sent[0]));
  EXPECT_FALSE(IsZcopy(port(kTrunk).sent[0]));
  Forget();  // the guest copied it out and freed it
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].orphaned);
  EXPECT_EQ(counters_.copied[static_cast<size_t>(CopyReason::kFlood)].Read(), 1u);
}

TEST_F(ZcopyFloodTest, NoPromptMemberReleasesTheBufferBeforeAnyoneReceives) {
  for (uint16_t p : {kP1, kP2, kTrunk}) port(p).SetZcopyTarget(ZcopyTarget::kCopy);
  FloodLent();
  for (uint16_t p : {kP1, kP2, kTrunk}) {
    ASSERT_EQ(port(p).sent.size(), 1u);
    EXPECT_FALSE(IsZcopy(port(p).sent[0]));
  }
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].orphaned);
  EXPECT_EQ(counters_.copied[static_cast<size_t>(CopyReason::kFlood)].Read(), 1u);
  EXPECT_EQ(Contents(port(kP2).sent[0]), Bytes(guest_.begin(), guest_.end()));
}

}  // namespace
}  // namespace zcswitch
