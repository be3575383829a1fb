#include "lib/switch/fwd_macswap.h"

#include <rte_ether.h>

#include <utility>

namespace zcswitch {

void MacswapEngine::Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue,
                            rte_mbuf** pkts, uint16_t n) {
  // Runts are dropped in place; the rest are compacted to the burst's front.
  uint16_t keep = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr)) {
      DropBurst(ctx.ports[in_port]->stats().rx(in_queue), DropReason::kRunt, &m, 1);
      continue;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    std::swap(eth->src_addr, eth->dst_addr);
    pkts[keep++] = m;
  }
  SendBurst(ctx, *ctx.ports[in_port], pkts, keep);
}

const FwdMode kMacswapMode = {
    .name = "macswap",
    .help = "each packet back out of its port, MACs swapped (a reflector)",
    .create = [](const FwdModeContext&) -> absl::StatusOr<std::unique_ptr<FwdEngine>> {
      return std::make_unique<MacswapEngine>();
    },
};

}  // namespace zcswitch
