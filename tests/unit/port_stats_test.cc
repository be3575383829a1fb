#include "lib/switch/port_stats.h"

#include "gtest/gtest.h"

namespace zcswitch {
namespace {

TEST(PortStatsTest, TotalSumsQueuesAndSides) {
  PortStats s(2, 3);
  s.rx(0).packets.Add(10);
  s.rx(0).bytes.Add(640);
  s.rx(1).packets.Add(5);
  s.rx(1).bytes.Add(320);
  s.rx(1).Drop(DropReason::kNoRoute, 2);
  s.tx(2).packets.Add(7);
  s.tx(2).bytes.Add(700);
  s.tx(0).Drop(DropReason::kTxFull, 3);
  s.tx(1).Drop(DropReason::kLinkDown, 4);

  const PortCounters t = s.Total();
  EXPECT_EQ(t.rx_packets, 15u);
  EXPECT_EQ(t.rx_bytes, 960u);
  EXPECT_EQ(t.tx_packets, 7u);
  EXPECT_EQ(t.tx_bytes, 700u);
  EXPECT_EQ(t.rx_dropped(), 2u);
  EXPECT_EQ(t.tx_dropped(), 7u);
  EXPECT_EQ(t.drops(DropReason::kTxFull), 3u);
  EXPECT_EQ(t.drops(DropReason::kLinkDown), 4u);
  EXPECT_EQ(t.drops(DropReason::kNoRoute), 2u);

  EXPECT_EQ(s.RxQueue(1).rx_packets, 5u);
  EXPECT_EQ(s.RxQueue(1).tx_packets, 0u);
  EXPECT_EQ(s.TxQueue(2).tx_bytes, 700u);
}

TEST(PortStatsTest, DifferenceIsWhatHappenedBetween) {
  PortStats s(1, 1);
  s.rx(0).packets.Add(100);
  s.tx(0).Drop(DropReason::kTxFull, 1);
  const PortCounters before = s.Total();
  s.rx(0).packets.Add(23);
  s.rx(0).bytes.Add(2300);
  s.tx(0).Drop(DropReason::kTxFull, 4);
  const PortCounters delta = s.Total() - before;
  EXPECT_EQ(delta.rx_packets, 23u);
  EXPECT_EQ(delta.rx_bytes, 2300u);
  EXPECT_EQ(delta.drops(DropReason::kTxFull), 4u);
  PortCounters sum = before;
  sum += delta;
  EXPECT_EQ(sum, s.Total());
}

TEST(DropReasonTest, NamesAreDistinctAndStable) {
  EXPECT_EQ(DropReasonName(DropReason::kNoRoute), "no_route");
  EXPECT_EQ(DropReasonName(DropReason::kTxFull), "tx_full");
  EXPECT_EQ(DropReasonName(DropReason::kLinkDown), "link_down");
  EXPECT_EQ(DropReasonName(DropReason::kRunt), "runt");
  for (size_t i = 0; i < kNumDropReasons; ++i) {
    for (size_t j = i + 1; j < kNumDropReasons; ++j) {
      EXPECT_NE(DropReasonName(static_cast<DropReason>(i)),
                DropReasonName(static_cast<DropReason>(j)));
    }
    EXPECT_FALSE(DropReasonHelp(static_cast<DropReason>(i)).empty());
  }
}

}  // namespace
}  // namespace zcswitch
