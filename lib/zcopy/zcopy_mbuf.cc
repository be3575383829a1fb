#include "lib/zcopy/zcopy_mbuf.h"

namespace zcswitch {

rte_mbuf* OrphanZcopy(rte_mbuf* m, rte_mempool* pool, CopyReason reason) {
  InflightTable::NoteOrphan(ZcopyShinfo(m), reason);
  rte_mbuf* copy = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
  rte_pktmbuf_free(m);
  return copy;
}

}  // namespace zcswitch
