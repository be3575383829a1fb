// The forwarding engines and SendBurst on real mbufs, through a port whose TX
// queue takes a scripted number of packets per call.
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <array>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/switch/fwd_io.h"
#include "lib/switch/fwd_macswap.h"
#include "lib/switch/tx_reaper.h"
#include "lib/zcopy/zcopy_mbuf.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
namespace {

std::vector<rte_mbuf*> Burst(int n, uint16_t len = 64) {
  std::vector<rte_mbuf*> pkts(n);
  EXPECT_EQ(rte_pktmbuf_alloc_bulk(g_pool, pkts.data(), n), 0);
  for (int i = 0; i < n; ++i) {
    char* data = rte_pktmbuf_append(pkts[i], len);
    for (uint16_t b = 0; b < len; ++b) data[b] = static_cast<char>(b + i);
  }
  return pkts;
}

class FwdEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { in_use_before_ = rte_mempool_in_use_count(g_pool); }
  // Every mbuf a test made is either held by a port or back in the pool.
  void TearDown() override {
    a_.reset();
    b_.reset();
    EXPECT_EQ(rte_mempool_in_use_count(g_pool), in_use_before_);
  }
  FwdContext Ctx(uint32_t retries) {
    ports_ = {a_.get(), b_.get()};
    return FwdContext{absl::MakeConstSpan(ports_), 0, retries, {g_pool, nullptr}};
  }

  std::unique_ptr<ScriptedPort> a_ = std::make_unique<ScriptedPort>("a");
  std::unique_ptr<ScriptedPort> b_ = std::make_unique<ScriptedPort>("b");
  std::vector<Port*> ports_;
  unsigned in_use_before_ = 0;
};

TEST_F(FwdEngineTest, IoSendsToThePeerAndCounts) {
  auto io = IoEngine::Create({{"a", "b"}}, std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(io.ok());
  auto pkts = Burst(8, 100);
  (*io)->Forward(Ctx(0), 0, 0, pkts.data(), 8);
  EXPECT_EQ(b_->sent.size(), 8u);
  EXPECT_EQ(a_->sent.size(), 0u);
  EXPECT_EQ(b_->stats().Total().tx_packets, 8u);
  EXPECT_EQ(b_->stats().Total().tx_bytes, 800u);
}

TEST_F(FwdEngineTest, IoDropsUnpairedAsNoRoute) {
  auto io = IoEngine::Create({}, std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(io.ok());
  auto pkts = Burst(5);
  (*io)->Forward(Ctx(0), 1, 0, pkts.data(), 5);
  EXPECT_EQ(b_->stats().Total().drops(DropReason::kNoRoute), 5u);
  EXPECT_EQ(a_->sent.size() + b_->sent.size(), 0u);
}

TEST_F(FwdEngineTest, FullQueueIsRetriedThenDroppedAsTxFull) {
  b_->accept = {4, 0, 3};  // then nothing more is scripted: takes all
  auto pkts = Burst(32);
  // Two retries: 4 + 0 + 3 taken, 25 dropped.
  SendBurst(Ctx(2), *b_, pkts.data(), 32);
  EXPECT_EQ(b_->tx_calls, 3);
  EXPECT_EQ(b_->sent.size(), 7u);
  const PortCounters c = b_->stats().Total();
  EXPECT_EQ(c.tx_packets, 7u);
  EXPECT_EQ(c.tx_bytes, 7u * 64);
  EXPECT_EQ(c.drops(DropReason::kTxFull), 25u);
}

TEST_F(FwdEngineTest, RetriesStopWhenEverythingIsTaken) {
  b_->accept = {10, 10};
  auto pkts = Burst(32);
  SendBurst(Ctx(8), *b_, pkts.data(), 32);
  EXPECT_EQ(b_->tx_calls, 3);
  EXPECT_EQ(b_->sent.size(), 32u);
  EXPECT_EQ(b_->stats().Total().tx_dropped(), 0u);
}

TEST_F(FwdEngineTest, LinkDownDropsWithoutTrying) {
  b_->SetLink(false);
  auto pkts = Burst(6);
  SendBurst(Ctx(8), *b_, pkts.data(), 6);
  EXPECT_EQ(b_->tx_calls, 0);
  EXPECT_EQ(b_->stats().Total().drops(DropReason::kLinkDown), 6u);
}

TEST_F(FwdEngineTest, MacswapReturnsToIngressWithMacsSwapped) {
  auto pkts = Burst(3, 64);
  std::vector<std::vector<uint8_t>> before;
  for (rte_mbuf* m : pkts) {
    auto* d = rte_pktmbuf_mtod(m, uint8_t*);
    before.emplace_back(d, d + 64);
  }
  MacswapEngine macswap;
  macswap.Forward(Ctx(0), 0, 0, pkts.data(), 3);
  ASSERT_EQ(a_->sent.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto* d = rte_pktmbuf_mtod(a_->sent[i], uint8_t*);
    EXPECT_TRUE(std::equal(d, d + 6, before[i].begin() + 6));
    EXPECT_TRUE(std::equal(d + 6, d + 12, before[i].begin()));
    EXPECT_TRUE(std::equal(d + 12, d + 64, before[i].begin() + 12));
  }
}

TEST_F(FwdEngineTest, MacswapDropsRunts) {
  auto pkts = Burst(1, 10);
  auto more = Burst(2, 60);
  pkts.insert(pkts.end(), more.begin(), more.end());
  MacswapEngine macswap;
  macswap.Forward(Ctx(0), 0, 0, pkts.data(), 3);
  EXPECT_EQ(a_->sent.size(), 2u);
  EXPECT_EQ(a_->stats().Total().drops(DropReason::kRunt), 1u);
}

// --- The orphan rule and reaping, in SendBurst ---

class ZcopySendTest : public FwdEngineTest {
 protected:
  ZcopySendTest() {
    for (size_t i = 0; i < guest_.size(); ++i) guest_[i] = static_cast<uint8_t>(i * 13);
  }
  ~ZcopySendTest() override { InflightTable::Retire(table_); }
  void TearDown() override {
    a_.reset();
    b_.reset();
    Collect();  // what the ports' destruction freed
    FwdEngineTest::TearDown();
  }

  // What came back from the table so far.
  std::vector<InflightTable::Completion> Collect() {
    InflightTable::Completion done[16];
    const uint16_t n = table_->Collect(done, 16, 0, counters_);
    return {done, done + n};
  }
  uint64_t Copied(CopyReason r) const { return counters_.copied[static_cast<size_t>(r)].Read(); }

  std::array<uint8_t, 1500> guest_;  // stands for guest memory
  InflightTable* table_ = InflightTable::Create(16, nullptr);
  ZcopyCounters counters_;
};

TEST_F(ZcopySendTest, PromptPortTakesTheReferenceAndHoldsTheBuffer) {
  b_->SetZcopyTarget(ZcopyTarget::kReference);
  rte_mbuf* m = LentPacket(*table_, 3, guest_.data(), 1500);
  SendBurst(Ctx(0), *b_, &m, 1);
  ASSERT_EQ(b_->sent.size(), 1u);
  EXPECT_EQ(b_->sent[0], m);
  EXPECT_TRUE(Collect().empty()) << "returned while the port still has it";
  rte_pktmbuf_free(b_->sent[0]);
  b_->sent.clear();
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].head, 3);
  EXPECT_FALSE(done[0].orphaned);
  EXPECT_EQ(counters_.packets.Read(), 1u);
}

TEST_F(ZcopySendTest, PortThatIsNotPromptGetsACopyAndTheBufferGoesBackAtOnce) {
  b_->SetZcopyTarget(ZcopyTarget::kCopy);
  auto host = Burst(2);
  rte_mbuf* pkts[] = {host[0], LentPacket(*table_, 5, guest_.data(), 1500), host[1]};
  SendBurst(Ctx(0), *b_, pkts, 3);
  ASSERT_EQ(b_->sent.size(), 3u);
  EXPECT_EQ(b_->sent[0], host[0]);  // host packets go as they are
  EXPECT_FALSE(IsZcopy(b_->sent[1]));
  EXPECT_EQ(rte_pktmbuf_pkt_len(b_->sent[1]), 1500u);
  std::vector<uint8_t> buf(1500);
  const auto* bytes =
      static_cast<const uint8_t*>(rte_pktmbuf_read(b_->sent[1], 0, 1500, buf.data()));
  ASSERT_NE(bytes, nullptr);
  EXPECT_TRUE(std::equal(bytes, bytes + 1500, guest_.begin()));
  // Back before the destination has even looked at its copy.
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].head, 5);
  EXPECT_TRUE(done[0].orphaned);
  EXPECT_EQ(Copied(CopyReason::kNotPrompt), 1u);
  EXPECT_EQ(counters_.packets.Read(), 0u);
}

TEST_F(ZcopySendTest, GuestThatCopiesItOutTakesItAsItIsCountedAsACopy) {
  b_->SetZcopyTarget(ZcopyTarget::kCopiesOut);
  rte_mbuf* m = LentPacket(*table_, 6, guest_.data(), 1500);
  SendBurst(Ctx(0), *b_, &m, 1);
  ASSERT_EQ(b_->sent.size(), 1u);
  EXPECT_EQ(b_->sent[0], m) << "copied twice: here and in the guest's receive vring";
  rte_pktmbuf_free(b_->sent[0]);  // as EnqueueBurst does once it has copied it
  b_->sent.clear();
  const auto done = Collect();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].orphaned);
  EXPECT_EQ(Copied(CopyReason::kNotPrompt), 1u);
  EXPECT_EQ(counters_.packets.Read(), 0u);
}

TEST_F(ZcopySendTest, DeviceThatCannotBeReapedGetsACopyCountedAsNoReap) {
  b_->SetZcopyTarget(ZcopyTarget::kCopyNoReap);
  rte_mbuf* m = LentPacket(*table_, 1, guest_.data(), 1500);
  SendBurst(Ctx(0), *b_, &m, 1);
  ASSERT_EQ(b_->sent.size(), 1u);
  EXPECT_FALSE(IsZcopy(b_->sent[0]));
  EXPECT_EQ(Collect().size(), 1u);
  EXPECT_EQ(Copied(CopyReason::kNoReap), 1u);
}

TEST_F(ZcopySendTest, CopyThatCannotBeMadeIsDroppedAndTheBufferStillGoesBack) {
  b_->SetZcopyTarget(ZcopyTarget::kCopy);
  rte_mbuf* m = LentPacket(*table_, 2, guest_.data(), 1500);
  std::vector<rte_mbuf*> rest;
  while (rte_mbuf* x = rte_pktmbuf_alloc(g_pool)) rest.push_back(x);
  SendBurst(Ctx(0), *b_, &m, 1);
  for (rte_mbuf* x : rest) rte_pktmbuf_free(x);
  EXPECT_TRUE(b_->sent.empty());
  EXPECT_EQ(b_->stats().Total().drops(DropReason::kNoMbuf), 1u);
  EXPECT_EQ(Collect().size(), 1u);
}

TEST_F(ZcopySendTest, HeldPacketsMakeTheLcoreReapTheirPortEveryInterval) {
  b_->SetZcopyTarget(ZcopyTarget::kReaped);
  TxReaper reaper(0);
  FwdContext ctx = Ctx(0);
  ctx.reaper = &reaper;
  ctx.now = 1000;
  auto host = Burst(1);
  SendBurst(ctx, *b_, host.data(), 1);
  EXPECT_TRUE(reaper.empty()) << "host packets need no reaping";
  rte_mbuf* m = LentPacket(*table_, 4, guest_.data(), 1500);
  SendBurst(ctx, *b_, &m, 1);
  EXPECT_EQ(b_->sent.back(), m);  // by reference
  EXPECT_FALSE(reaper.empty());
  reaper.RunDue(1000 + 99, 100);
  EXPECT_EQ(b_->reaped, 0) << "reaped before the interval";
  reaper.RunDue(1000 + 100, 100);
  EXPECT_EQ(b_->reaped, 1);
  EXPECT_EQ(b_->reaps(0), 1u);
  // Reaped again while buffers may linger, then forgotten.
  uint64_t t = 1100;
  for (uint32_t i = 0; i <= TxReaper::kLinger; ++i) reaper.RunDue(t += 100, 100);
  EXPECT_EQ(b_->reaped, static_cast<int>(TxReaper::kLinger) + 2);
  EXPECT_TRUE(reaper.empty());
}

}  // namespace
}  // namespace zcswitch
