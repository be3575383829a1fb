// The poll-mode data plane: one run-to-completion loop per forwarding lcore.
//
// Each loop polls its share of RX queues (see AssignRxQueues), hands every
// non-empty burst to the forwarding engine (loaded once per iteration, so it
// can be switched while running), and charges the iteration's TSC
// cycles to its LcoreCounters, and each busy queue's to its RxQueueCounters. Forwarding lcore i transmits on TX queue i of
// every port, so no two lcores share a queue and the loop takes no lock.
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

namespace zcswitch {

class Dataplane {
 public:
  static constexpr uint16_t kBurst = 32;

  // `ports` (index = port id) and `engine` must outlive the Dataplane.
  // `lcores` are EAL worker lcore ids (enabled, not the main lcore): the
  // caller checks, since it can say which configuration key was wrong.
  // Loop i reports its quiescent states to `quiescence` as id i.
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
  FwdEngine* engine() const { return engine_.load(std::memory_order_acquire); }

  size_t num_lcores() const { return workers_.size(); }
  unsigned lcore_id(size_t i) const { return workers_[i]->lcore_id; }
  const std::vector<RxQueueRef>& queues(size_t i) const { return workers_[i]->queues; }
  LcoreSample Sample(size_t i) const { return workers_[i]->counters.Sample(); }
  // Queue `q` of queues(i).
  RxQueueSample QueueSample(size_t i, size_t q) const {
    return workers_[i]->queue_counters[q].Sample();
  }

 private:
  struct Worker {
    Dataplane* dataplane;
    uint16_t index;  // also its TX queue on every port
    unsigned lcore_id;
    std::vector<RxQueueRef> queues;
    LcoreCounters counters;
    std::unique_ptr<RxQueueCounters[]> queue_counters;  // index as queues
  };

  static int LcoreMain(void* arg);
  void Run(Worker& worker);

  std::vector<Port*> ports_;
  std::atomic<FwdEngine*> engine_;
  Quiescence* const quiescence_;
  uint32_t tx_retries_;
  MbufPools pools_;  // for packets the data path makes (software segmentation)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> running_{false};
  bool launched_ = false;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_DATAPLANE_H_
