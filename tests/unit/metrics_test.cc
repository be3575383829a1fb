#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/metrics/metrics_exposer.h"
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

}  // namespace
}  // namespace zcswitch
