#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/metrics/metrics_exposer.h"
#include "lib/switch/zcopy_xstats.h"
#include "prometheus/text_serializer.h"

namespace zcswitch {
namespace {

using ::testing::HasSubstr;

SwitchSnapshot Sample() {
  SwitchSnapshot s;
  s.tsc_hz = 2000000000;
  PortSnapshot p;
  p.name = "uplink";
  p.link_up = true;
  p.counters.rx_packets = 42;
  p.counters.tx_bytes = 4200;
  p.counters.tx_drops[static_cast<size_t>(DropReason::kTxFull)] = 5;
  p.counters.rx_drops[static_cast<size_t>(DropReason::kNoRoute)] = 2;
  s.ports.push_back(p);
  LcoreSnapshot l;
  l.lcore_id = 3;
  l.sample = {1234, 99, 42};
  s.lcores.push_back(l);
  return s;
}

TEST(MetricsTest, SnapshotBecomesPrometheusText) {
  const std::string text = prometheus::TextSerializer().Serialize(SnapshotToMetrics(Sample()));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_port_rx_packets_total counter"));
  EXPECT_THAT(text, HasSubstr("zcswitch_port_rx_packets_total{port=\"uplink\"} 42"));
  EXPECT_THAT(text, HasSubstr("zcswitch_port_tx_bytes_total{port=\"uplink\"} 4200"));
  EXPECT_THAT(text, HasSubstr("zcswitch_port_drops_total{port=\"uplink\",reason=\"tx_full\"} 5"));
  EXPECT_THAT(text, HasSubstr("zcswitch_port_drops_total{port=\"uplink\",reason=\"no_route\"} 2"));
  EXPECT_THAT(text, HasSubstr("zcswitch_port_link_up{port=\"uplink\"} 1"));
  EXPECT_THAT(text, HasSubstr("zcswitch_lcore_busy_cycles_total{lcore=\"3\"} 1234"));
  EXPECT_THAT(text, HasSubstr("zcswitch_lcore_idle_cycles_total{lcore=\"3\"} 99"));
  EXPECT_THAT(text, HasSubstr("zcswitch_lcore_packets_total{lcore=\"3\"} 42"));
}

TEST(MetricsTest, FdbCountersOnlyWhenThereIsAnFdb) {
  SwitchSnapshot s = Sample();
  EXPECT_THAT(prometheus::TextSerializer().Serialize(SnapshotToMetrics(s)),
              ::testing::Not(HasSubstr("zcswitch_fdb")));
  s.fdb = FdbStats{.entries = 7, .learned = 9, .moves = 1, .aged = 2};
  const std::string text = prometheus::TextSerializer().Serialize(SnapshotToMetrics(s));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_fdb_entries gauge"));
  EXPECT_THAT(text, HasSubstr("zcswitch_fdb_entries 7"));
  EXPECT_THAT(text, HasSubstr("zcswitch_fdb_learned_total 9"));
  EXPECT_THAT(text, HasSubstr("zcswitch_fdb_moves_total 1"));
  EXPECT_THAT(text, HasSubstr("zcswitch_fdb_aged_total 2"));
}

TEST(MetricsTest, VhostXstatsAreLabelledCountersOfTheirOwn) {
  SwitchSnapshot s = Sample();
  PortSnapshot vm;
  vm.name = "vm1";
  vm.type = "vhost-user";
  vm.xstats = {{"bad_descriptors", "outside_memory", "rx0", 3},
               {"bad_descriptors", "too_large", "rx0", 0},
               {"drops", "no_mbuf", "rx0", 4},
               {"kicks", "", "rx0", 5},
               {"kicks", "", "tx0", 6},
               {"calls", "", "tx0", 7}};
  s.ports.push_back(vm);
  const std::string text = prometheus::TextSerializer().Serialize(SnapshotToMetrics(s));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_vhost_bad_descriptors_total counter"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_bad_descriptors_total{port=\"vm1\",queue=\"rx0\","
                              "reason=\"outside_memory\"} 3"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_bad_descriptors_total{port=\"vm1\",queue=\"rx0\","
                              "reason=\"too_large\"} 0"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_drops_total{port=\"vm1\",queue=\"rx0\","
                              "reason=\"no_mbuf\"} 4"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_kicks_total{port=\"vm1\",queue=\"rx0\"} 5"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_kicks_total{port=\"vm1\",queue=\"tx0\"} 6"));
  EXPECT_THAT(text, HasSubstr("zcswitch_vhost_calls_total{port=\"vm1\",queue=\"tx0\"} 7"));
  // One family per name, however many ports and queues report it.
  size_t families = 0;
  for (const auto& f : SnapshotToMetrics(s)) families += f.name == "zcswitch_vhost_kicks_total";
  EXPECT_EQ(families, 1u);
}

// Zero-copy's xstats are families of their own, whatever the port type:
// counters summed over the port's queues, gauges per queue.
TEST(MetricsTest, ZcopyXstatsAreSharedFamiliesSummedPerPort) {
  SwitchSnapshot s = Sample();
  PortSnapshot vm;
  vm.name = "vm1";
  vm.type = "vhost-user";
  ZcopyCounters q0;
  q0.packets.Add(10);
  q0.bytes.Add(15000);
  q0.CountCopy(CopyReason::kSmall);
  q0.CountCopy(CopyReason::kNotPrompt);
  q0.SetInflight(7);
  ZcopyCounters q1;
  q1.packets.Add(20);
  q1.bytes.Add(30000);
  q1.CountCopy(CopyReason::kSmall);
  q1.SetInflight(3);
  AppendZcopyXstats(q0, true, 0, 0, vm.xstats);
  AppendZcopyXstats(q1, false, 1, 0, vm.xstats);
  s.ports.push_back(vm);
  PortSnapshot nic;
  nic.name = "nic";
  nic.type = "ethdev";
  nic.xstats = {MakeZcopyXstat(ZcopyXstat::kReaps, "tx0", 4),
                MakeZcopyXstat(ZcopyXstat::kReaps, "tx1", 5)};
  s.ports.push_back(nic);
  const std::string text = prometheus::TextSerializer().Serialize(SnapshotToMetrics(s));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_zcopy_packets_total counter"));
  EXPECT_THAT(text, HasSubstr("# HELP zcswitch_zcopy_packets_total Guest packets that went"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_packets_total{port=\"vm1\"} 30\n"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_bytes_total{port=\"vm1\"} 45000\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_zcopy_copied_packets_total counter"));
  EXPECT_THAT(text,
              HasSubstr("zcswitch_zcopy_copied_packets_total{port=\"vm1\",reason=\"small\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr("zcswitch_zcopy_copied_packets_total{port=\"vm1\",reason=\"not_prompt\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("zcswitch_zcopy_copied_packets_total{port=\"vm1\",reason=\"no_reap\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE zcswitch_zcopy_inflight gauge"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_inflight{port=\"vm1\",queue=\"rx0\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_inflight{port=\"vm1\",queue=\"rx1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_can_lend{port=\"vm1\",queue=\"rx1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("zcswitch_zcopy_reaps_total{port=\"nic\"} 9\n"));
  // Not under the port type's own names.
  EXPECT_THAT(text, ::testing::Not(HasSubstr("zcswitch_vhost_zcopy")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("zcswitch_ethdev_zcopy")));
  size_t families = 0;
  for (const auto& f : SnapshotToMetrics(s)) families += f.name == "zcswitch_zcopy_packets_total";
  EXPECT_EQ(families, 1u);
}

TEST(MetricsTest, HoldTimeTurnsCyclesIntoMicrosecondsWithoutOverflow) {
  EXPECT_EQ(CyclesToMicroseconds(3000, 3000000000), 1u);
  EXPECT_EQ(CyclesToMicroseconds(4500, 3000000000), 1u);
  EXPECT_EQ(CyclesToMicroseconds(123, 0), 0u);
  // A day of summed hold at 3 GHz: cycles * 1e6 would not fit in 64 bits.
  const uint64_t day = 86400ull * 3000000000ull;
  EXPECT_EQ(CyclesToMicroseconds(day, 3000000000), 86400000000ull);
}

}  // namespace
}  // namespace zcswitch
