#include "lib/dataplane/dataplane.h"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "absl/strings/str_format.h"

namespace zcswitch {

Dataplane::Dataplane(std::vector<Port*> ports, FwdEngine* engine, std::vector<unsigned> lcores,
                     uint32_t tx_retries, MbufPools pools, Quiescence* quiescence)
    : ports_(std::move(ports)),
      engine_(engine),
      quiescence_(quiescence),
      tx_retries_(tx_retries),
      pools_(pools) {
  std::vector<uint16_t> rx_queues;
  for (Port* p : ports_) rx_queues.push_back(p->rx_queues());
  std::vector<std::vector<RxQueueRef>> assignment = AssignRxQueues(rx_queues, lcores.size());
  for (size_t i = 0; i < lcores.size(); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->dataplane = this;
    worker->index = static_cast<uint16_t>(i);
    worker->lcore_id = lcores[i];
    worker->queues = std::move(assignment[i]);
    worker->queue_counters = std::make_unique<RxQueueCounters[]>(worker->queues.size());
    workers_.push_back(std::move(worker));
  }
}

Dataplane::~Dataplane() { Stop(); }

absl::Status Dataplane::Start() {
  for (Port* p : ports_) {
    if (p->tx_queues() < workers_.size()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("port %s has %d TX queues; %d forwarding lcores need one each", p->name(),
                          p->tx_queues(), workers_.size()));
    }
  }
  running_.store(true, std::memory_order_release);
  for (const auto& w : workers_) {
    const int rc = rte_eal_remote_launch(&Dataplane::LcoreMain, w.get(), w->lcore_id);
    if (rc != 0) {
      Stop();
      return absl::InternalError(
          absl::StrFormat("cannot launch lcore %d: %s", w->lcore_id, strerror(-rc)));
    }
    launched_ = true;
  }
  return absl::OkStatus();
}

void Dataplane::Stop() {
  running_.store(false, std::memory_order_release);
  if (!launched_) return;
  for (const auto& w : workers_) rte_eal_wait_lcore(w->lcore_id);
  launched_ = false;
}

void Dataplane::SetEngine(FwdEngine* engine) {
  engine_.store(engine, std::memory_order_release);
  quiescence_->Synchronize();
}

int Dataplane::LcoreMain(void* arg) {
  auto* worker = static_cast<Worker*>(arg);
  worker->dataplane->Run(*worker);
  return 0;
}

void Dataplane::Run(Worker& worker) {
  const FwdContext ctx{absl::MakeConstSpan(ports_), worker.index, tx_retries_, pools_};
  rte_mbuf* pkts[kBurst];
  quiescence_->Online(worker.index);
  uint64_t prev = rte_rdtsc();
  while (running_.load(std::memory_order_acquire)) {
    uint64_t received = 0;
    uint64_t mark = prev;  // the end of the last burst timed
    FwdEngine* const engine = engine_.load(std::memory_order_acquire);
    for (size_t i = 0; i < worker.queues.size(); ++i) {
      const RxQueueRef& q = worker.queues[i];
      Port* const port = ports_[q.port];
      if (!port->enabled()) continue;
      const uint16_t n = port->Receive(q.queue, pkts, kBurst);
      if (n == 0) continue;
      engine->Forward(ctx, q.port, q.queue, pkts, n);
      received += n;
      const uint64_t done = rte_rdtsc();
      RxQueueCounters& c = worker.queue_counters[i];
      c.packets.Add(n);
      c.cycles.Add(done - mark);
      mark = done;
    }
    // Between iterations this lcore holds nothing the control plane may free.
    quiescence_->Quiescent(worker.index);
    const uint64_t now = rte_rdtsc();
    worker.counters.Iteration(now - prev, received);
    prev = now;
  }
  quiescence_->Offline(worker.index);
}

}  // namespace zcswitch
