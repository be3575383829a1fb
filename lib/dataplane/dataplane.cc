#include "lib/dataplane/dataplane.h"

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>

#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

absl::Status CheckTxQueues(const Port& port, size_t lcores) {
  if (port.tx_queues() >= lcores) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrFormat("port %s has %d TX queues; %d forwarding lcores need one each", port.name(),
                      port.tx_queues(), lcores));
}

}  // namespace

Dataplane::Dataplane(std::vector<Port*> ports, FwdEngine* engine, std::vector<unsigned> lcores,
                     uint32_t tx_retries, MbufPools pools, Quiescence* quiescence)
    : quiescence_(quiescence), tx_retries_(tx_retries) {
  for (size_t i = 0; i < lcores.size(); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->dataplane = this;
    worker->index = static_cast<uint16_t>(i);
    worker->lcore_id = lcores[i];
    workers_.push_back(std::move(worker));
  }
  std::vector<uint16_t> rx_queues;
  for (Port* p : ports) rx_queues.push_back(p == nullptr ? 0 : p->rx_queues());
  auto plan = std::make_unique<Plan>();
  plan->queues = PlanQueues(AssignRxQueues(rx_queues, lcores.size()), ports);
  plan->ports = std::move(ports);
  plan->engine = engine;
  plan->pools = pools;
  plan_.store(plan.get(), std::memory_order_release);
  owned_plan_ = std::move(plan);
}

Dataplane::~Dataplane() { Stop(); }

absl::Status Dataplane::Start() {
  for (const Port* p : owned_plan_->ports) {
    if (p != nullptr) {
      if (absl::Status s = CheckTxQueues(*p, workers_.size()); !s.ok()) return s;
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
  auto plan = std::make_unique<Plan>(*owned_plan_);
  plan->engine = engine;
  Publish(std::move(plan));
}

absl::Status Dataplane::SetPorts(std::vector<Port*> ports, FwdEngine* engine, MbufPools pools) {
  const std::vector<Port*>& old = owned_plan_->ports;
  auto was = [&](size_t id) { return id < old.size() ? old[id] : nullptr; };
  for (size_t id = 0; id < ports.size(); ++id) {
    if (ports[id] != nullptr && ports[id] != was(id)) {
      if (absl::Status s = CheckTxQueues(*ports[id], workers_.size()); !s.ok()) return s;
    }
  }
  std::vector<std::vector<RxQueueRef>> by_lcore;
  for (const auto& list : owned_plan_->queues) {
    std::vector<RxQueueRef>& refs = by_lcore.emplace_back();
    for (const QueuePlan& q : list) refs.push_back(q.ref);
  }
  // Counters of ports gone stay until no lcore can be counting on them.
  std::vector<std::unique_ptr<RxQueueCounters[]>> retired;
  for (size_t id = 0; id < std::max(old.size(), ports.size()); ++id) {
    Port* const now = id < ports.size() ? ports[id] : nullptr;
    if (was(id) == now) continue;
    if (was(id) != nullptr) {
      UnassignPort(by_lcore, static_cast<uint16_t>(id));
      retired.push_back(std::move(queue_counters_[id]));
    }
    if (now != nullptr) AssignAddedPort(by_lcore, static_cast<uint16_t>(id), now->rx_queues());
  }
  auto plan = std::make_unique<Plan>();
  plan->queues = PlanQueues(by_lcore, ports);
  plan->ports = std::move(ports);
  plan->engine = engine;
  plan->pools = pools;
  Publish(std::move(plan));
  return absl::OkStatus();
}

std::vector<std::vector<Dataplane::QueuePlan>> Dataplane::PlanQueues(
    const std::vector<std::vector<RxQueueRef>>& by_lcore, const std::vector<Port*>& ports) {
  if (queue_counters_.size() < ports.size()) queue_counters_.resize(ports.size());
  for (size_t id = 0; id < ports.size(); ++id) {
    if (ports[id] != nullptr && queue_counters_[id] == nullptr) {
      queue_counters_[id] = std::make_unique<RxQueueCounters[]>(ports[id]->rx_queues());
    }
  }
  std::vector<std::vector<QueuePlan>> queues(workers_.size());
  for (size_t i = 0; i < by_lcore.size() && i < queues.size(); ++i) {
    for (const RxQueueRef& ref : by_lcore[i]) {
      queues[i].push_back({ref, &queue_counters_[ref.port][ref.queue]});
    }
  }
  return queues;
}

void Dataplane::Publish(std::unique_ptr<Plan> plan) {
  plan_.store(plan.get(), std::memory_order_release);
  quiescence_->Synchronize();
  owned_plan_ = std::move(plan);
}

std::vector<PolledQueue> Dataplane::Queues(size_t i) const {
  std::vector<PolledQueue> out;
  for (const QueuePlan& q : plan_.load(std::memory_order_acquire)->queues[i]) {
    out.push_back({q.ref, q.counters->Sample()});
  }
  return out;
}

int Dataplane::LcoreMain(void* arg) {
  auto* worker = static_cast<Worker*>(arg);
  worker->dataplane->Run(*worker);
  return 0;
}

void Dataplane::Run(Worker& worker) {
  rte_mbuf* pkts[kBurst];
  TxReaper reaper(worker.index);
  const Plan* reaped_plan = nullptr;  // the plan the reaper's ports are from
  const uint64_t cycles_per_us = rte_get_tsc_hz() / 1000000;
  quiescence_->Online(worker.index);
  uint64_t prev = rte_rdtsc();
  while (running_.load(std::memory_order_acquire)) {
    uint64_t received = 0;
    uint64_t mark = prev;  // the end of the last burst timed
    const Plan* const plan = plan_.load(std::memory_order_acquire);
    if (plan != reaped_plan) {
      // A port noted may be gone; one still here is noted again when it is
      // sent to.
      reaper.Forget();
      reaped_plan = plan;
    }
    const FwdContext ctx{absl::MakeConstSpan(plan->ports), worker.index, tx_retries_,
                         plan->pools, &reaper, prev};
    for (const QueuePlan& q : plan->queues[worker.index]) {
      Port* const port = plan->ports[q.ref.port];
      if (!port->enabled()) continue;
      const uint16_t n = port->Receive(q.ref.queue, pkts, kBurst);
      if (n == 0) continue;
      plan->engine->Forward(ctx, q.ref.port, q.ref.queue, pkts, n);
      received += n;
      const uint64_t done = rte_rdtsc();
      q.counters->packets.Add(n);
      q.counters->cycles.Add(done - mark);
      mark = done;
    }
    // Devices holding lent guest buffers give them back (invariant 6).
    if (!reaper.empty() && zcopy_ != nullptr) reaper.RunDue(mark, zcopy_->reap_us() * cycles_per_us);
    // Between iterations this lcore holds nothing the control plane may free.
    quiescence_->Quiescent(worker.index);
    const uint64_t now = rte_rdtsc();
    worker.counters.Iteration(now - prev, received);
    prev = now;
  }
  quiescence_->Offline(worker.index);
}

}  // namespace zcswitch
