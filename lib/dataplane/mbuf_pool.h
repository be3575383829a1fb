// An owned DPDK packet mbuf pool: created with a size worked out from the
// ports it will feed, freed when the owner goes.
#ifndef ZCSWITCH_LIB_DATAPLANE_MBUF_POOL_H_
#define ZCSWITCH_LIB_DATAPLANE_MBUF_POOL_H_

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace zcswitch {

struct MempoolDeleter {
  void operator()(rte_mempool* pool) const { rte_mempool_free(pool); }
};
using MbufPool = std::unique_ptr<rte_mempool, MempoolDeleter>;

// A pktmbuf pool of at least `mbufs` buffers of `data_room` bytes (headroom
// included; DPDK's default by default), on `socket`, with a per-lcore cache.
absl::StatusOr<MbufPool> CreateMbufPool(const std::string& name, unsigned mbufs, int socket,
                                        uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_MBUF_POOL_H_
