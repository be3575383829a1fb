#include "lib/control/stats_text.h"

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/control/stats_delta.h"
#include "lib/switch/zcopy_xstats.h"

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
  p.serial = 1;
  p.type = "ethdev";
  p.link_up = true;
  p.counters.rx_packets = rx;
  p.counters.rx_bytes = rx * 64;
  p.counters.tx_drops[static_cast<size_t>(DropReason::kTxFull)] = 3;
  p.rx_queues = {p.counters};
  p.xstats = {{"kicks", "", "rx0", rx / 10}};
  s.ports.push_back(p);
  LcoreSnapshot l;
  l.lcore_id = 1;
  l.rx_queues = 1;
  l.sample = {busy, 500, pkts};
  l.queues = {{"uplink", 1, 0, {pkts, busy / 2}}};
  s.lcores.push_back(l);
  return s;
}

TEST(StatsTextTest, PortTableShowsCountersAndDropReasons) {
  const std::string t = FormatPortStats(Snap(0, 1000, 0, 0), {});
  EXPECT_THAT(t, HasSubstr("rx-packets"));
  EXPECT_THAT(t, HasSubstr("uplink"));
  EXPECT_THAT(t, HasSubstr(" 1000 "));
  EXPECT_THAT(t, HasSubstr(" 64000 "));
  EXPECT_THAT(t, HasSubstr("uplink tx_full=3"));
  EXPECT_THAT(t, Not(HasSubstr("rx-pps")));
}

// Columns stay aligned under a name longer than the usual width.
TEST(StatsTextTest, LongPortNamesWidenTheNameColumn) {
  SwitchSnapshot s = Snap(0, 1000, 100, 10);
  PortSnapshot longer = s.ports[0];
  longer.name = "a_port_name_of_28_characters";
  s.ports.push_back(longer);
  for (const std::string& table : {FormatPortStats(s, {}), FormatFwdStats(s)}) {
    const std::vector<std::string> lines =
        absl::StrSplit(table.substr(0, table.find("drops by reason")), '\n', absl::SkipEmpty());
    ASSERT_GE(lines.size(), 3u) << table;
    for (const std::string& line : lines) EXPECT_EQ(line.size(), lines[0].size()) << table;
  }
}

TEST(StatsTextTest, RatesCoverTheInterval) {
  const SwitchSnapshot before = Snap(1000, 100, 0, 0);
  const SwitchSnapshot after = Snap(3000, 700, 0, 0);  // 2 s at 1000 Hz
  const std::vector<PortRate> rates = PortRates(after, before);
  ASSERT_EQ(rates.size(), 1u);
  EXPECT_DOUBLE_EQ(rates[0].rx_pps, 300);          // (700 - 100) / 2
  EXPECT_DOUBLE_EQ(rates[0].rx_bps, 300 * 64 * 8);  // bits
  EXPECT_DOUBLE_EQ(rates[0].tx_pps, 0);
  const std::string t = FormatPortStats(after, rates);
  EXPECT_THAT(t, HasSubstr("rx-pps"));
  EXPECT_THAT(t, HasSubstr("tx-bps"));
  EXPECT_THAT(t, HasSubstr(" 300 "));
  EXPECT_THAT(t, HasSubstr(" 153600 "));
}

TEST(StatsTextTest, RatesSinceStartCountNewPortsFromZero) {
  SwitchSnapshot start;
  start.tsc = 1000;  // nothing but the time forwarding began
  const std::vector<PortRate> rates = PortRates(Snap(2000, 500, 0, 0), start);
  EXPECT_DOUBLE_EQ(rates[0].rx_pps, 500);
}

TEST(StatsTextTest, NoTimeNoRates) {
  const std::vector<PortRate> rates = PortRates(Snap(1000, 500, 0, 0), Snap(1000, 100, 0, 0));
  EXPECT_DOUBLE_EQ(rates[0].rx_pps, 0);
}

TEST(StatsDeltaTest, ClearedPortShowsOnlyWhatCameAfter) {
  SwitchSnapshot baseline;
  SetPortBaseline(baseline, Snap(0, 100, 0, 0), std::nullopt);
  const SwitchSnapshot shown = Subtract(Snap(0, 250, 0, 0), baseline);
  const PortSnapshot& p = shown.ports[0];
  EXPECT_EQ(p.counters.rx_packets, 150u);
  EXPECT_EQ(p.counters.rx_bytes, 150u * 64);
  EXPECT_EQ(p.counters.drops(DropReason::kTxFull), 0u);
  EXPECT_EQ(p.rx_queues[0].rx_packets, 150u);
  EXPECT_EQ(p.xstats[0].value, 25u - 10u);
}

// A gauge (buffers in flight) is a level: clearing leaves it as it is.
TEST(StatsDeltaTest, ClearLeavesGaugeXstatsAlone) {
  SwitchSnapshot before = Snap(0, 100, 0, 0);
  SwitchSnapshot now = Snap(1000, 300, 0, 0);
  before.ports[0].xstats.push_back(MakeZcopyXstat(ZcopyXstat::kInflight, "rx0", 5));
  before.ports[0].xstats.push_back(MakeZcopyXstat(ZcopyXstat::kPackets, "rx0", 50));
  now.ports[0].xstats.push_back(MakeZcopyXstat(ZcopyXstat::kInflight, "rx0", 8));
  now.ports[0].xstats.push_back(MakeZcopyXstat(ZcopyXstat::kPackets, "rx0", 80));
  const SwitchSnapshot d = Subtract(now, before);
  EXPECT_EQ(d.ports[0].xstats[0].value, 20u);  // kicks: 30 - 10
  EXPECT_EQ(d.ports[0].xstats[1].value, 8u);
  EXPECT_EQ(d.ports[0].xstats[2].value, 30u);
}

TEST(StatsDeltaTest, ClearingOnePortLeavesTheOthers) {
  SwitchSnapshot now = Snap(0, 100, 0, 0);
  PortSnapshot other = now.ports[0];
  other.name = "vm1";
  now.ports.push_back(other);
  SwitchSnapshot baseline;
  SetPortBaseline(baseline, now, "vm1");
  SetPortBaseline(baseline, now, "vm1");  // twice: still one baseline
  EXPECT_EQ(baseline.ports.size(), 1u);
  const SwitchSnapshot shown = Subtract(now, baseline);
  EXPECT_EQ(shown.ports[0].counters.rx_packets, 100u);  // uplink
  EXPECT_EQ(shown.ports[1].counters.rx_packets, 0u);    // vm1
}

TEST(StatsDeltaTest, ANewPortUnderAnOldNameIgnoresTheStaleBaseline) {
  SwitchSnapshot baseline;
  SetPortBaseline(baseline, Snap(0, 1000, 0, 0), std::nullopt);
  const SwitchSnapshot shown = Subtract(Snap(0, 30, 0, 0), baseline);
  EXPECT_EQ(shown.ports[0].counters.rx_packets, 30u);
}

// `port del` then `port add` of that name: the new port's counters have
// already passed the old one's baseline, and are still not reduced by it.
TEST(StatsDeltaTest, APortAddedAgainUnderItsNameIsNotReducedByTheOldBaseline) {
  SwitchSnapshot baseline;
  SetPortBaseline(baseline, Snap(0, 1000, 0, 0), std::nullopt);
  SwitchSnapshot now = Snap(0, 5000, 0, 0);
  now.ports[0].serial = 2;
  now.lcores[0].queues[0].port_serial = 2;
  EXPECT_EQ(Subtract(now, baseline).ports[0].counters.rx_packets, 5000u);
  SwitchSnapshot lcore_base = Snap(0, 0, 2000, 40);
  now.lcores[0].sample = {2600, 500, 60};
  now.lcores[0].queues[0].sample = {60, 1300};
  EXPECT_EQ(Subtract(now, lcore_base).lcores[0].queues[0].sample.packets, 60u);
  // Rates since the last show count it from zero too.
  SwitchSnapshot before = Snap(0, 1000, 0, 0);
  now.tsc = 1000;
  EXPECT_DOUBLE_EQ(PortRates(now, before)[0].rx_pps, 5000.0);
}

TEST(StatsDeltaTest, LcoresAndTheirQueuesSubtract) {
  const SwitchSnapshot shown = Subtract(Snap(0, 0, 2600, 60), Snap(0, 0, 2000, 40));
  EXPECT_EQ(shown.lcores[0].sample.busy_cycles, 600u);
  EXPECT_EQ(shown.lcores[0].sample.packets, 20u);
  EXPECT_EQ(shown.lcores[0].queues[0].sample.packets, 20u);
  EXPECT_EQ(shown.lcores[0].queues[0].sample.cycles, 300u);
}

TEST(StatsTextTest, LcoreTableShowsCyclesPerPacketAndQueueShares) {
  const std::string all = FormatLcoreStats(Snap(0, 0, 2000, 40));
  EXPECT_THAT(all, HasSubstr("cycles/pkt"));
  EXPECT_THAT(all, HasSubstr("50.0"));  // 2000 / 40
  // The queue took 1000 of the lcore's 2500 cycles.
  EXPECT_THAT(all, HasSubstr("uplink       rx0"));
  EXPECT_THAT(all, HasSubstr("40 packets   40.0% of cycles"));
  const std::string interval = FormatLcoreStats(Subtract(Snap(0, 0, 2600, 60), Snap(0, 0, 2000, 40)));
  EXPECT_THAT(interval, HasSubstr("30.0"));  // 600 / 20
}

TEST(StatsTextTest, XstatsListEveryQueueAndCounter) {
  SwitchSnapshot s = Snap(0, 1000, 0, 0);
  PortSnapshot& p = s.ports[0];
  p.tx_queues.resize(2);
  p.tx_queues[1].tx_packets = 77;
  p.xstats.push_back({"bad_descriptors", "outside_memory", "rx0", 4});
  p.device_xstats.push_back({"rx_good_packets", "", "", 1000});
  const std::string t = FormatPortXstats(p);
  EXPECT_THAT(t, HasSubstr("port uplink (ethdev)"));
  EXPECT_THAT(t, HasSubstr("rx0              1000            64000"));
  EXPECT_THAT(t, HasSubstr("tx1                77"));
  EXPECT_THAT(t, HasSubstr("rx0    kicks"));
  EXPECT_THAT(t, HasSubstr("rx0    bad_descriptors.outside_memory"));
  EXPECT_THAT(t, HasSubstr("-      rx_good_packets"));
}

TEST(StatsTextTest, FwdStatsHaveTotals) {
  SwitchSnapshot s = Snap(0, 100, 0, 0);
  PortSnapshot sink = s.ports[0];
  sink.name = "sink";
  sink.counters = {};
  sink.counters.tx_packets = 90;
  sink.counters.tx_drops[static_cast<size_t>(DropReason::kTxFull)] = 10;
  s.ports.push_back(sink);
  const std::string t = FormatFwdStats(s);
  EXPECT_THAT(t, HasSubstr(absl::StrFormat("%-12s %14d %10d %14d %10d", "total", 100, 0, 90, 13)));
}

TEST(StatsTextTest, FwdConfigNamesModeQueuesAndPairs) {
  SwitchSnapshot s = Snap(0, 0, 0, 0);
  s.fwd = FwdSnapshot{"io", {{"uplink", "vm1"}}, 8};
  const std::string t = FormatFwdConfig(s);
  EXPECT_THAT(t, HasSubstr("forwarding mode: io"));
  EXPECT_THAT(t, HasSubstr("tx retries: 8"));
  EXPECT_THAT(t, HasSubstr("lcore 1 polls uplink rx0\n"));
  // vm1 is not in the port table (port del): the pair waits for it.
  EXPECT_THAT(t, HasSubstr("pair uplink <-> vm1 (no port vm1)\n"));
}

TEST(StatsTextTest, FwdConfigMarksStoppedPortsAndCompletePairs) {
  SwitchSnapshot s = Snap(0, 0, 0, 0);
  PortSnapshot vm1 = s.ports[0];
  vm1.name = "vm1";
  s.ports.push_back(vm1);
  s.ports[0].started = false;
  s.fwd = FwdSnapshot{"io", {{"uplink", "vm1"}}, 8};
  const std::string t = FormatFwdConfig(s);
  EXPECT_THAT(t, HasSubstr("lcore 1 polls uplink rx0 (stopped)\n"));
  EXPECT_THAT(t, HasSubstr("pair uplink <-> vm1\n"));
  EXPECT_THAT(FormatPortInfo(s), HasSubstr("port uplink\n  type       ethdev\n  state      stopped\n"));
}

TEST(StatsTextTest, PortInfoShowsVlanAndOffloads) {
  SwitchSnapshot s = Snap(0, 0, 0, 0);
  s.ports[0].info = PortInfo{"ethdev 0 (net_null0), driver net_null", "trunk 10,20", {"l4_csum"}};
  const std::string t = FormatPortInfo(s);
  EXPECT_THAT(t, HasSubstr("device     ethdev 0 (net_null0)"));
  EXPECT_THAT(t, HasSubstr("vlan       trunk 10,20"));
  EXPECT_THAT(t, HasSubstr("offloads   l4_csum"));
  EXPECT_THAT(t, HasSubstr("queues     1 rx, 0 tx"));
  EXPECT_THAT(t, HasSubstr("state      started"));
}

}  // namespace
}  // namespace zcswitch
