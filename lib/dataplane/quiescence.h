// Quiescent-state tracking for the data plane (docs/architecture.md, invariant 7), on DPDK's
// rte_rcu_qsbr.
//
// Every forwarding lcore reports a quiescent state once per loop iteration,
// between bursts, when it holds no pointer into shared control-plane state.
// The control thread unpublishes something (stores nullptr where the lcores
// load it), calls Synchronize(), and may then free or remap it: every lcore
// has since passed a quiescent point, so none can still be using it.
#ifndef ZCSWITCH_LIB_DATAPLANE_QUIESCENCE_H_
#define ZCSWITCH_LIB_DATAPLANE_QUIESCENCE_H_

#include <rte_rcu_qsbr.h>

#include <memory>

#include "absl/status/statusor.h"

namespace zcswitch {

class Quiescence {
 public:
  // For up to `max_lcores` reporting lcores, numbered 0 .. max_lcores - 1.
  static absl::StatusOr<std::unique_ptr<Quiescence>> Create(unsigned max_lcores);
  ~Quiescence();

  // On lcore `id`, before its loop and after it.
  void Online(unsigned id);
  void Offline(unsigned id);
  // On lcore `id`, once per loop iteration.
  void Quiescent(unsigned id) { rte_rcu_qsbr_quiescent(qsbr_, id); }

  // Control thread: returns once every online lcore has been quiescent since
  // the call began.
  void Synchronize();

  // For DPDK libraries that reclaim through RCU themselves (rte_hash).
  rte_rcu_qsbr* qsbr() const { return qsbr_; }

 private:
  explicit Quiescence(rte_rcu_qsbr* qsbr) : qsbr_(qsbr) {}
  rte_rcu_qsbr* qsbr_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_QUIESCENCE_H_
