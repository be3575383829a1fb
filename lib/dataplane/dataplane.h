// The poll-mode data plane: one run-to-completion loop per forwarding lcore.
//
// The loops run on a Plan: the port table, the forwarding engine and each
// lcore's RX queues, published whole through one pointer. Each loop loads it
// once per iteration, polls its queues, hands every non-empty burst to the
// engine, and charges the iteration's TSC cycles to its LcoreCounters and
// each busy queue's to that queue's RxQueueCounters. The control thread
// changes the engine or the ports by publishing a new plan and freeing the
// old one once every lcore has been quiescent (docs/architecture.md, invariant 7).
// Forwarding lcore i transmits on TX queue i of every port, so no two lcores
// share a queue and the loop takes no lock.
#ifndef ZCSWITCH_LIB_DATAPLANE_DATAPLANE_H_
#define ZCSWITCH_LIB_DATAPLANE_DATAPLANE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/mbuf_pools.h"
#include "lib/dataplane/lcore_stats.h"
#include "lib/dataplane/queue_assignment.h"
#include "lib/dataplane/quiescence.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/port.h"
#include "lib/zcopy/zcopy_settings.h"

namespace zcswitch {

// One RX queue an lcore polls, and what it has done there.
struct PolledQueue {
  RxQueueRef ref;
  RxQueueSample sample;
};

class Dataplane {
 public:
  static constexpr uint16_t kBurst = 32;

  // `ports` (index = port id; nullptr for an id not in use) and `engine`
  // must outlive their use (see SetPorts). `lcores` are EAL worker lcore ids
  // (enabled, not the main lcore): the caller checks, since it can say which
  // configuration key was wrong. Loop i reports its quiescent states to
  // `quiescence` as id i.
  Dataplane(std::vector<Port*> ports, FwdEngine* engine, std::vector<unsigned> lcores,
            uint32_t tx_retries, MbufPools pools, Quiescence* quiescence);
  ~Dataplane();

  // Launches the loops. Every port must have a TX queue per lcore.
  absl::Status Start();
  // Asks the loops to finish their iteration and waits until they have.
  // Start() may launch them again.
  void Stop();
  bool running() const { return launched_; }

  // Control thread: every burst from now on goes to `engine`. Returns once
  // no lcore is still inside the previous one, which the caller may then
  // destroy or reuse.
  void SetEngine(FwdEngine* engine);
  // Control thread: the loops run on `ports` and `engine` from now on. A port
  // new to the table (started, with a TX queue per lcore) has its RX queues
  // dealt to the least loaded lcores; a port gone from it is no longer
  // polled or sent to. Queues of ports in both stay where they are. Returns
  // once no lcore can still use the previous table or engine: a port gone
  // from the table may then be stopped and destroyed.
  absl::Status SetPorts(std::vector<Port*> ports, FwdEngine* engine, MbufPools pools);

  // Readers of the plan below (any thread) must not run while the control
  // thread calls SetEngine or SetPorts: the caller keeps them apart.
  // Before Start(): the knobs that say how often held buffers are reaped;
  // without them nothing is.
  void set_zcopy(const ZcopySettings* zcopy) { zcopy_ = zcopy; }

  FwdEngine* engine() const { return plan_.load(std::memory_order_acquire)->engine; }
  size_t num_lcores() const { return workers_.size(); }
  unsigned lcore_id(size_t i) const { return workers_[i]->lcore_id; }
  LcoreSample Sample(size_t i) const { return workers_[i]->counters.Sample(); }
  std::vector<PolledQueue> Queues(size_t i) const;

 private:
  struct Worker {
    Dataplane* dataplane;
    uint16_t index;  // also its TX queue on every port
    unsigned lcore_id;
    LcoreCounters counters;
  };
  struct QueuePlan {
    RxQueueRef ref;
    RxQueueCounters* counters;
  };
  // Immutable once published.
  struct Plan {
    std::vector<Port*> ports;
    FwdEngine* engine;
    MbufPools pools;                              // for packets the data path makes
    std::vector<std::vector<QueuePlan>> queues;   // index = worker
  };

  static int LcoreMain(void* arg);
  void Run(Worker& worker);
  // Each worker's RX queues, with counters for every queue of every port in
  // `ports` (kept for ports already counted).
  std::vector<std::vector<QueuePlan>> PlanQueues(
      const std::vector<std::vector<RxQueueRef>>& by_lcore, const std::vector<Port*>& ports);
  // Makes `plan` the one the loops run on and frees the last once no lcore
  // can hold it.
  void Publish(std::unique_ptr<Plan> plan);

  std::atomic<const Plan*> plan_;
  std::unique_ptr<const Plan> owned_plan_;
  // Per port id, one per RX queue: they live as long as the port is in the
  // table, wherever its queues are polled.
  std::vector<std::unique_ptr<RxQueueCounters[]>> queue_counters_;
  Quiescence* const quiescence_;
  uint32_t tx_retries_;
  const ZcopySettings* zcopy_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> running_{false};
  bool launched_ = false;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_DATAPLANE_H_
