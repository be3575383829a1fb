#include "lib/dataplane/quiescence.h"

#include <rte_malloc.h>

#include "absl/status/status.h"

namespace zcswitch {

absl::StatusOr<std::unique_ptr<Quiescence>> Quiescence::Create(unsigned max_lcores) {
  const size_t size = rte_rcu_qsbr_get_memsize(max_lcores);
  auto* qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("zc_qsbr", size, RTE_CACHE_LINE_SIZE));
  if (qsbr == nullptr) return absl::ResourceExhaustedError("cannot allocate the RCU QSBR variable");
  if (rte_rcu_qsbr_init(qsbr, max_lcores) != 0) {
    rte_free(qsbr);
    return absl::InternalError("rte_rcu_qsbr_init failed");
  }
  for (unsigned id = 0; id < max_lcores; ++id) rte_rcu_qsbr_thread_register(qsbr, id);
  return std::unique_ptr<Quiescence>(new Quiescence(qsbr));
}

Quiescence::~Quiescence() { rte_free(qsbr_); }

void Quiescence::Online(unsigned id) { rte_rcu_qsbr_thread_online(qsbr_, id); }

void Quiescence::Offline(unsigned id) { rte_rcu_qsbr_thread_offline(qsbr_, id); }

void Quiescence::Synchronize() { rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID); }

}  // namespace zcswitch
