#include "lib/dataplane/mbuf_pool.h"

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "absl/strings/str_format.h"

namespace zcswitch {

absl::StatusOr<MbufPool> CreateMbufPool(const std::string& name, unsigned mbufs, int socket,
                                        uint16_t data_room) {
  constexpr unsigned kCache = 256;
  rte_mempool* pool =
      rte_pktmbuf_pool_create(name.c_str(), mbufs, kCache, 0, data_room, socket);
  if (pool == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("cannot create mbuf pool %s of %d mbufs on socket %d: %s (give EAL more "
                        "memory, -m)",
                        name, mbufs, socket, rte_strerror(rte_errno)));
  }
  return MbufPool(pool);
}

}  // namespace zcswitch
