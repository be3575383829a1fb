#include "lib/dataplane/lcore_stats.h"

#include "gtest/gtest.h"

namespace zcswitch {
namespace {

TEST(LcoreStatsTest, IterationsAreChargedToBusyOrIdle) {
  LcoreCounters c;
  c.Iteration(1000, 32);
  c.Iteration(200, 0);
  c.Iteration(600, 8);
  c.Iteration(200, 0);
  const LcoreSample s = c.Sample();
  EXPECT_EQ(s.busy_cycles, 1600u);
  EXPECT_EQ(s.idle_cycles, 400u);
  EXPECT_EQ(s.packets, 40u);
  EXPECT_DOUBLE_EQ(s.CyclesPerPacket(), 40.0);
  EXPECT_DOUBLE_EQ(s.BusyPercent(), 80.0);
}

TEST(LcoreStatsTest, NoPacketsMeansNoCyclesPerPacket) {
  LcoreSample s;
  EXPECT_EQ(s.CyclesPerPacket(), 0.0);
  EXPECT_EQ(s.BusyPercent(), 0.0);
  s.idle_cycles = 100;
  EXPECT_EQ(s.CyclesPerPacket(), 0.0);
  EXPECT_EQ(s.BusyPercent(), 0.0);
}

TEST(LcoreStatsTest, IntervalsSubtract) {
  LcoreCounters c;
  c.Iteration(500, 10);
  const LcoreSample before = c.Sample();
  c.Iteration(300, 3);
  c.Iteration(100, 0);
  const LcoreSample d = c.Sample() - before;
  EXPECT_EQ(d.busy_cycles, 300u);
  EXPECT_EQ(d.idle_cycles, 100u);
  EXPECT_EQ(d.packets, 3u);
  EXPECT_DOUBLE_EQ(d.CyclesPerPacket(), 100.0);
}

}  // namespace
}  // namespace zcswitch
