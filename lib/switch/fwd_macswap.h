// `macswap` forwarding: every packet goes back out of the port it came in on,
// with its Ethernet source and destination swapped (testpmd's macswap; for
// loopback tests).
#ifndef ZCSWITCH_LIB_SWITCH_FWD_MACSWAP_H_
#define ZCSWITCH_LIB_SWITCH_FWD_MACSWAP_H_

#include "lib/switch/fwd_engine.h"
#include "lib/switch/fwd_mode.h"

namespace zcswitch {

class MacswapEngine : public FwdEngine {
 public:
  absl::string_view name() const override { return "macswap"; }
  void Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue, rte_mbuf** pkts,
               uint16_t n) override;
};

extern const FwdMode kMacswapMode;

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FWD_MACSWAP_H_
