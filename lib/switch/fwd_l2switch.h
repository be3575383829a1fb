// `l2switch` forwarding: a learning Ethernet switch with VLANs.
//
// Per packet: the ingress port's VLAN rules give its VLAN (or refuse it as
// vlan_filter), the source MAC is learned, and the destination is looked up
// in the FDB. A known unicast destination gets the packet; broadcast,
// multicast and unknown unicast are flooded to every other port of the VLAN,
// each extra destination with its own copy. Packets are gathered per
// destination and sent a burst at a time.
#ifndef ZCSWITCH_LIB_SWITCH_FWD_L2SWITCH_H_
#define ZCSWITCH_LIB_SWITCH_FWD_L2SWITCH_H_

#include <array>
#include <memory>
#include <vector>

#include "lib/switch/fdb.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/fwd_mode.h"
#include "lib/switch/vlan.h"

namespace zcswitch {

class L2SwitchEngine : public FwdEngine {
 public:
  static constexpr uint16_t kBurst = 32;

  // `fdb` must outlive the engine; `lcores` is how many forwarding lcores
  // call Forward (each passes its index as ctx.tx_queue).
  L2SwitchEngine(Fdb* fdb, VlanMap vlans, unsigned lcores);

  absl::string_view name() const override { return "l2switch"; }
  void Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue, rte_mbuf** pkts,
               uint16_t n) override;

  const VlanMap& vlans() const { return vlans_; }

 private:
  // One lcore's packets gathered per destination port.
  struct alignas(64) Outbox {
    std::vector<std::array<rte_mbuf*, kBurst>> pkts;  // index = port id
    std::vector<uint16_t> count;                     // index = port id
    std::vector<uint16_t> touched;                   // ports with packets, in order
  };

  void Deliver(const FwdContext& ctx, Outbox& box, uint16_t out, rte_mbuf* m, uint16_t vlan);
  void Flood(const FwdContext& ctx, Outbox& box, uint16_t in_port, QueueCounters& rx,
             rte_mbuf* m, uint16_t vlan);
  void Flush(const FwdContext& ctx, Outbox& box, uint16_t out);

  Fdb* const fdb_;
  const VlanMap vlans_;
  std::vector<std::unique_ptr<Outbox>> outboxes_;  // index = lcore
};

extern const FwdMode kL2SwitchMode;

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FWD_L2SWITCH_H_
