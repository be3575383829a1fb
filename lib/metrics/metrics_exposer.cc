#include "lib/metrics/metrics_exposer.h"

#include <algorithm>
#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace zcswitch {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

void AddSample(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

// A port type's xstats (Port::AppendXstats): by default counters named
// after the type ("vhost-user" gives zcswitch_vhost_NAME_total), labelled by
// port and queue, and by reason where the xstat has one; an xstat may name
// a family of its own instead, shared by port types, and sum its queues
// into one sample per port (and reason). The port type says what each
// counts.
std::string XstatHelp(const PortXstat& x) {
  if (!x.help.empty()) return std::string(x.help);
  return absl::StrCat("The port type's ", x.name, " counter.");
}

std::string XstatFamilyName(const PortSnapshot& p, const PortXstat& x) {
  if (!x.metric.empty()) return std::string(x.metric);
  const std::string kind = p.type.substr(0, p.type.find('-'));
  return absl::StrCat("zcswitch_", kind, "_", x.name, x.kind == XstatKind::kGauge ? "" : "_total");
}

void AddXstatFamilies(const SwitchSnapshot& snapshot, std::vector<MetricFamily>& families) {
  const size_t first = families.size();
  for (const PortSnapshot& p : snapshot.ports) {
    for (const PortXstat& x : p.xstats) {
      const std::string name = XstatFamilyName(p, x);
      auto family = std::find_if(families.begin() + first, families.end(),
                                 [&](const MetricFamily& f) { return f.name == name; });
      if (family == families.end()) {
        families.push_back(Family(name, XstatHelp(x),
                                  x.kind == XstatKind::kGauge ? MetricType::Gauge
                                                              : MetricType::Counter));
        family = families.end() - 1;
      }
      std::vector<ClientMetric::Label> labels{{"port", p.name}};
      if (!x.per_port) labels.push_back({"queue", x.queue});
      if (!x.reason.empty()) labels.push_back({"reason", x.reason});
      if (x.per_port) {
        // The port's other queues add to the sample the first one made.
        auto sample = std::find_if(family->metric.begin(), family->metric.end(),
                                   [&](const ClientMetric& m) { return m.label == labels; });
        if (sample != family->metric.end()) {
          (family->type == MetricType::Counter ? sample->counter.value : sample->gauge.value) +=
              static_cast<double>(x.value);
          continue;
        }
      }
      AddSample(*family, std::move(labels), static_cast<double>(x.value));
    }
  }
}

}  // namespace

std::vector<MetricFamily> SnapshotToMetrics(const SwitchSnapshot& snapshot) {
  auto rx_packets =
      Family("zcswitch_port_rx_packets_total", "Packets received by a port.", MetricType::Counter);
  auto tx_packets =
      Family("zcswitch_port_tx_packets_total", "Packets sent by a port.", MetricType::Counter);
  auto rx_bytes =
      Family("zcswitch_port_rx_bytes_total", "Bytes received by a port.", MetricType::Counter);
  auto tx_bytes =
      Family("zcswitch_port_tx_bytes_total", "Bytes sent by a port.", MetricType::Counter);
  auto drops = Family("zcswitch_port_drops_total", "Packets dropped at a port, by reason.",
                      MetricType::Counter);
  auto link_up =
      Family("zcswitch_port_link_up", "1 when the port's link is up.", MetricType::Gauge);
  for (const PortSnapshot& p : snapshot.ports) {
    const std::vector<ClientMetric::Label> port{{"port", p.name}};
    AddSample(rx_packets, port, p.counters.rx_packets);
    AddSample(tx_packets, port, p.counters.tx_packets);
    AddSample(rx_bytes, port, p.counters.rx_bytes);
    AddSample(tx_bytes, port, p.counters.tx_bytes);
    AddSample(link_up, port, p.link_up ? 1 : 0);
    for (size_t r = 0; r < kNumDropReasons; ++r) {
      const auto reason = static_cast<DropReason>(r);
      AddSample(drops, {{"port", p.name}, {"reason", std::string(DropReasonName(reason))}},
                p.counters.drops(reason));
    }
  }
  auto busy = Family("zcswitch_lcore_busy_cycles_total",
                     "TSC cycles of loop iterations that received packets.", MetricType::Counter);
  auto idle = Family("zcswitch_lcore_idle_cycles_total",
                     "TSC cycles of loop iterations that received nothing.", MetricType::Counter);
  auto packets = Family("zcswitch_lcore_packets_total", "Packets received by a forwarding lcore.",
                        MetricType::Counter);
  for (const LcoreSnapshot& l : snapshot.lcores) {
    const std::vector<ClientMetric::Label> lcore{{"lcore", absl::StrCat(l.lcore_id)}};
    AddSample(busy, lcore, l.sample.busy_cycles);
    AddSample(idle, lcore, l.sample.idle_cycles);
    AddSample(packets, lcore, l.sample.packets);
  }
  auto hz =
      Family("zcswitch_tsc_hz", "TSC frequency, to turn cycles into seconds.", MetricType::Gauge);
  AddSample(hz, {}, snapshot.tsc_hz);
  std::vector<MetricFamily> families = {rx_packets, tx_packets, rx_bytes, tx_bytes, drops,
                                        link_up,    busy,       idle,     packets,  hz};
  if (snapshot.fdb) {
    const FdbStats& f = *snapshot.fdb;
    const std::pair<MetricFamily, uint64_t> fdb[] = {
        {Family("zcswitch_fdb_entries", "Entries in the FDB, static and learned.",
                MetricType::Gauge),
         f.entries},
        {Family("zcswitch_fdb_learned_total", "FDB entries added by learning.",
                MetricType::Counter),
         f.learned},
        {Family("zcswitch_fdb_moves_total", "Learned MACs seen on another port (MAC moves).",
                MetricType::Counter),
         f.moves},
        {Family("zcswitch_fdb_aged_total", "FDB entries removed for age.", MetricType::Counter),
         f.aged},
        {Family("zcswitch_fdb_table_full_total", "Learning refused: the FDB was full.",
                MetricType::Counter),
         f.table_full},
        {Family("zcswitch_fdb_learn_dropped_total",
                "Learning requests lost: an lcore's learning queue was full.",
                MetricType::Counter),
         f.learn_dropped},
    };
    for (auto [family, value] : fdb) {
      AddSample(family, {}, value);
      families.push_back(std::move(family));
    }
  }
  AddXstatFamilies(snapshot, families);
  return families;
}

class MetricsExposer::Collector : public prometheus::Collectable {
 public:
  explicit Collector(SnapshotFn snapshot) : snapshot_(std::move(snapshot)) {}
  std::vector<MetricFamily> Collect() const override { return SnapshotToMetrics(snapshot_()); }

 private:
  SnapshotFn snapshot_;
};

absl::StatusOr<std::unique_ptr<MetricsExposer>> MetricsExposer::Start(const std::string& address,
                                                                      SnapshotFn snapshot) {
  std::unique_ptr<MetricsExposer> m(new MetricsExposer());
  // prometheus-cpp reports a failed bind by throwing; it stops here.
  try {
    m->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, ": ", e.what()));
  }
  m->collector_ = std::make_shared<Collector>(std::move(snapshot));
  m->exposer_->RegisterCollectable(m->collector_);
  return m;
}

MetricsExposer::~MetricsExposer() {
  // Stop serving before the collector (and what it reads) goes away.
  exposer_.reset();
}

int MetricsExposer::port() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

}  // namespace zcswitch
