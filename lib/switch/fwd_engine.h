// The interface of a forwarding mode (l2switch, io, macswap), and what it may
// use to send: the port table and the calling lcore's TX queue.
//
// An engine gets each received burst once, decides where every packet goes,
// and hands it on or drops it; either way the packets are no longer the
// caller's. One engine object serves every lcore; an engine that needs
// per-lcore scratch space indexes it by ctx.tx_queue, which is the lcore's
// index. The data plane may switch engines while running: an engine must not
// assume it saw the previous burst.
#ifndef ZCSWITCH_LIB_SWITCH_FWD_ENGINE_H_
#define ZCSWITCH_LIB_SWITCH_FWD_ENGINE_H_

#include <rte_mbuf.h>

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/base/mbuf_pools.h"
#include "lib/switch/port.h"
#include "lib/switch/tx_reaper.h"

namespace zcswitch {

struct FwdContext {
  absl::Span<Port* const> ports;  // indexed by port id
  uint16_t tx_queue = 0;          // this lcore's TX queue on every port, and its index
  uint32_t tx_retries = 0;        // extra TX attempts when a queue is full
  MbufPools pools;                // for segments made in software
  TxReaper* reaper = nullptr;     // this lcore's; nullptr: nothing is reaped
  uint64_t now = 0;               // TSC at the start of the burst
};

class FwdEngine {
 public:
  virtual ~FwdEngine() = default;
  virtual absl::string_view name() const = 0;
  // Forwards pkts[0, n), received on `in_port`'s RX queue `in_queue`.
  virtual void Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue, rte_mbuf** pkts,
                       uint16_t n) = 0;
};

// Sends a burst out of `out` on the lcore's TX queue, retrying a full queue up
// to ctx.tx_retries times. What is not taken is freed and counted against
// `out` as tx_full; everything is dropped as link_down if the link is down.
// Offload requests `out` cannot do are done first (a segmented packet goes
// out as its segments); one that fails is dropped as `offload`. Zero-copy
// packets go by reference only where out.zcopy_target() allows; elsewhere
// they are copied first (the orphan rule), and a port that must be reaped
// is noted in ctx.reaper.
void SendBurst(const FwdContext& ctx, Port& out, rte_mbuf** pkts, uint16_t n);

// The pool to copy `m` into: a large one if it does not fit a small mbuf.
rte_mempool* CopyPoolFor(const MbufPools& pools, const rte_mbuf* m);

// Frees a burst, counting it against `queue` (an RX or TX queue's counters).
void DropBurst(QueueCounters& queue, DropReason reason, rte_mbuf** pkts, uint16_t n);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FWD_ENGINE_H_
