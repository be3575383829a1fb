// Zero-copy packets as the switch sees them: ordinary mbuf chains whose
// first segment is a host copy of the headers and whose other segments are
// external buffers in guest memory, lent from an InflightTable.
//
// The orphan rule (docs/architecture.md, invariant 5) is applied with these:
// a packet going where completion is not prompt is copied (Orphan), and
// freeing the original gives the guest its descriptor back at once, as
// Linux's skb_orphan_frags does on local delivery.
#ifndef ZCSWITCH_LIB_ZCOPY_ZCOPY_MBUF_H_
#define ZCSWITCH_LIB_ZCOPY_ZCOPY_MBUF_H_

#include <rte_mbuf.h>

#include "lib/zcopy/inflight_table.h"
#include "lib/zcopy/zcopy_counters.h"

namespace zcswitch {

// The shared info of the first segment of `m` that points into guest
// memory, or nullptr for a packet that is all host memory.
inline rte_mbuf_ext_shared_info* ZcopyShinfo(const rte_mbuf* m) {
  for (; m != nullptr; m = m->next) {
    if (RTE_MBUF_HAS_EXTBUF(m) && InflightTable::Owns(m->shinfo)) return m->shinfo;
  }
  return nullptr;
}

inline bool IsZcopy(const rte_mbuf* m) { return ZcopyShinfo(m) != nullptr; }

// Replaces zero-copy packet `m` with a copy from `pool` and frees `m`;
// `reason` is counted against the vring it came from once its descriptor is
// back. Returns the copy, or nullptr (and `m` freed) when the pool is empty.
rte_mbuf* OrphanZcopy(rte_mbuf* m, rte_mempool* pool, CopyReason reason);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_ZCOPY_ZCOPY_MBUF_H_
