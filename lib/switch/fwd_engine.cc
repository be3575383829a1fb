#include "lib/switch/fwd_engine.h"

namespace zcswitch {

void DropBurst(QueueCounters& queue, DropReason reason, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  rte_pktmbuf_free_bulk(pkts, n);
  queue.Drop(reason, n);
}

void SendBurst(const FwdContext& ctx, Port& out, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  QueueCounters& counters = out.stats().tx(ctx.tx_queue);
  if (!out.link_up()) {
    DropBurst(counters, DropReason::kLinkDown, pkts, n);
    return;
  }
  uint16_t sent = out.Transmit(ctx.tx_queue, pkts, n);
  for (uint32_t retry = 0; sent < n && retry < ctx.tx_retries; ++retry) {
    sent += out.Transmit(ctx.tx_queue, pkts + sent, n - sent);
  }
  DropBurst(counters, DropReason::kTxFull, pkts + sent, n - sent);
}

}  // namespace zcswitch
