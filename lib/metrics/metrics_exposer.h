// Prometheus metrics over HTTP (prometheus-cpp's pull exposer, GET /metrics).
//
// Every scrape takes a fresh SwitchSnapshot through the callback and turns it
// into metric families; nothing is cached and no lock an lcore takes is
// touched, since snapshots only read the lcores' single-writer counters.
// Names follow Prometheus conventions: base units, `_total` for counters,
// labels (port, lcore, queue, reason) rather than names. A port type's own
// counters (vhost-user: bad descriptors, drops, calls and kicks per vring)
// become zcswitch_TYPE_NAME_total.
#ifndef ZCSWITCH_LIB_METRICS_METRICS_EXPOSER_H_
#define ZCSWITCH_LIB_METRICS_METRICS_EXPOSER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/dataplane/switch_snapshot.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace zcswitch {

// The metric families of one snapshot; the exposer's Collect().
std::vector<prometheus::MetricFamily> SnapshotToMetrics(const SwitchSnapshot& snapshot);

class MetricsExposer {
 public:
  using SnapshotFn = std::function<SwitchSnapshot()>;

  // Listens on `address` ("127.0.0.1:9478"; port 0 picks a free one).
  static absl::StatusOr<std::unique_ptr<MetricsExposer>> Start(const std::string& address,
                                                               SnapshotFn snapshot);
  ~MetricsExposer();

  // The TCP port actually bound.
  int port() const;

 private:
  class Collector;
  MetricsExposer() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<Collector> collector_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_METRICS_METRICS_EXPOSER_H_
