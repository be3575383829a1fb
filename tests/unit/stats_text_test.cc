#include "lib/control/stats_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SwitchSnapshot Snap(uint64_t tsc, uint64_t rx, uint64_t busy, uint64_t pkts) {
  SwitchSnapshot s;
  s.tsc = tsc;
  s.tsc_hz = 1000;
  PortSnapshot p;
  p.name = "uplink";
  p.type = "ethdev";
  p.link_up = true;
  p.counters.rx_packets = rx;
  p.counters.rx_bytes = rx * 64;
  p.counters.tx_drops[static_cast<size_t>(DropReason::kTxFull)] = 3;
  s.ports.push_back(p);
  LcoreSnapshot l;
  l.lcore_id = 1;
  l.rx_queues = 2;
  l.sample = {busy, 500, pkts};
  s.lcores.push_back(l);
  return s;
}

TEST(StatsTextTest, PortTableShowsCountersAndDropReasons) {
  const std::string t = FormatPortStats(Snap(0, 1000, 0, 0), nullptr);
  EXPECT_THAT(t, HasSubstr("rx-packets"));
  EXPECT_THAT(t, HasSubstr("uplink"));
  EXPECT_THAT(t, HasSubstr(" 1000 "));
  EXPECT_THAT(t, HasSubstr(" 64000 "));
  EXPECT_THAT(t, HasSubstr("uplink tx_full=3"));
  EXPECT_THAT(t, Not(HasSubstr("rx-pps")));
}

TEST(StatsTextTest, RatesCoverTheInterval) {
  const SwitchSnapshot before = Snap(1000, 100, 0, 0);
  const SwitchSnapshot after = Snap(3000, 700, 0, 0);  // 2 s at 1000 Hz
  const std::string t = FormatPortStats(after, &before);
  EXPECT_THAT(t, HasSubstr("rx-pps"));
  EXPECT_THAT(t, HasSubstr(" 300 "));  // (700 - 100) / 2
}

TEST(StatsTextTest, LcoreTableShowsCyclesPerPacket) {
  const std::string all = FormatLcoreStats(Snap(0, 0, 2000, 40), nullptr);
  EXPECT_THAT(all, HasSubstr("cycles/pkt"));
  EXPECT_THAT(all, HasSubstr("50.0"));  // 2000 / 40
  const SwitchSnapshot before = Snap(0, 0, 2000, 40);
  const std::string interval = FormatLcoreStats(Snap(0, 0, 2600, 60), &before);
  EXPECT_THAT(interval, HasSubstr("30.0"));  // 600 / 20
}

}  // namespace
}  // namespace zcswitch
