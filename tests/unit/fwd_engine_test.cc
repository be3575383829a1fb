// The forwarding engines and SendBurst on real mbufs, through a port whose TX
// queue takes a scripted number of packets per call.
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/switch/fwd_io.h"
#include "lib/switch/fwd_macswap.h"
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

}  // namespace
}  // namespace zcswitch
