#include "lib/switch/fwd_l2switch.h"

#include <rte_ether.h>

#include "lib/zcopy/zcopy_mbuf.h"

namespace zcswitch {
namespace {

// The last (MAC, VLAN) a burst asked the FDB about, and the answer. Packets
// of a burst mostly share their source (a guest has one MAC) and often their
// destination (one flow), so the FDB is asked once per run of equal keys.
struct LastKey {
  bool Matches(const rte_ether_addr& m, uint16_t v) const {
    return valid && v == vlan && rte_is_same_ether_addr(&m, &mac);
  }
  void Set(const rte_ether_addr& m, uint16_t v, int answer = 0) {
    rte_ether_addr_copy(&m, &mac);
    vlan = v;
    port = answer;
    valid = true;
  }

  rte_ether_addr mac{};
  uint16_t vlan = 0;
  int port = 0;
  bool valid = false;
};

}  // namespace

L2SwitchEngine::L2SwitchEngine(Fdb* fdb, VlanMap vlans, unsigned lcores)
    : fdb_(fdb), vlans_(std::move(vlans)) {
  for (unsigned i = 0; i < lcores; ++i) {
    auto box = std::make_unique<Outbox>();
    box->pkts.resize(vlans_.num_ports());
    box->count.assign(vlans_.num_ports(), 0);
    box->touched.reserve(vlans_.num_ports());
    outboxes_.push_back(std::move(box));
  }
}

void L2SwitchEngine::Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue,
                             rte_mbuf** pkts, uint16_t n) {
  // The lcore's index is its TX queue number (see FwdContext).
  const uint16_t lcore = ctx.tx_queue;
  Outbox& box = *outboxes_[lcore];
  QueueCounters& rx = ctx.ports[in_port]->stats().rx(in_queue);
  const PortVlan& in_vlan = vlans_.port(in_port);
  LastKey learned;
  LastKey looked_up;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr)) {
      DropBurst(rx, DropReason::kRunt, &m, 1);
      continue;
    }
    const std::optional<uint16_t> vlan = in_vlan.Ingress(m);
    if (!vlan) {
      DropBurst(rx, DropReason::kVlanFilter, &m, 1);
      continue;
    }
    const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
    if (!learned.Matches(eth->src_addr, *vlan)) {
      if (rte_is_unicast_ether_addr(&eth->src_addr) && !rte_is_zero_ether_addr(&eth->src_addr)) {
        fdb_->Learn(lcore, eth->src_addr, *vlan, in_port);
      }
      learned.Set(eth->src_addr, *vlan);
    }
    int out = -1;
    if (looked_up.Matches(eth->dst_addr, *vlan)) {
      out = looked_up.port;
    } else if (!rte_is_multicast_ether_addr(&eth->dst_addr)) {
      out = fdb_->Lookup(eth->dst_addr, *vlan);
      looked_up.Set(eth->dst_addr, *vlan, out);
    }
    // An entry for a port being removed, about to be flushed: where the MAC
    // is now is unknown.
    if (out >= 0 && (static_cast<size_t>(out) >= ctx.ports.size() || ctx.ports[out] == nullptr)) {
      out = -1;
    }
    if (out < 0) {
      Flood(ctx, box, in_port, rx, m, *vlan);
    } else if (out == in_port) {
      // Its destination is behind the port it came from.
      DropBurst(rx, DropReason::kNoRoute, &m, 1);
    } else if (!vlans_.port(static_cast<uint16_t>(out)).Carries(*vlan)) {
      // Only a static entry can point outside the VLAN.
      DropBurst(rx, DropReason::kVlanFilter, &m, 1);
    } else {
      Deliver(ctx, box, static_cast<uint16_t>(out), m, *vlan);
    }
  }
  for (uint16_t out : box.touched) Flush(ctx, box, out);
  box.touched.clear();
}

void L2SwitchEngine::Flood(const FwdContext& ctx, Outbox& box, uint16_t in_port,
                           QueueCounters& rx, rte_mbuf* m, uint16_t vlan) {
  const absl::Span<const uint16_t> members = vlans_.Members(vlan);
  // The ingress port carries the VLAN, so it is one of the members.
  if (members.size() < 2) {
    DropBurst(rx, DropReason::kNoRoute, &m, 1);
    return;
  }
  // One destination gets the original, the others copies made before it is
  // tagged for its own. A zero-copy original goes where it may stay a
  // reference; where none may, to a port that copies it out anyway (a
  // guest); failing that, it becomes a copy itself. Either way it counts as
  // a flood's copy, and the guest has its buffer back within the burst.
  uint16_t original = members.back() != in_port ? members.back() : members[members.size() - 2];
  if (rte_mbuf_ext_shared_info* shinfo = ZcopyShinfo(m)) {
    int best = -1;  // 2: a reference; 1: copied out
    for (uint16_t out : members) {
      // A port that is down drops what it is given: no use keeping it whole.
      if (out == in_port || !ctx.ports[out]->link_up()) continue;
      const ZcopyTarget t = ctx.ports[out]->zcopy_target();
      const int rank = (t == ZcopyTarget::kReference || t == ZcopyTarget::kReaped) ? 2
                       : t == ZcopyTarget::kCopiesOut                              ? 1
                                                                                   : 0;
      if (rank > best) {
        best = rank;
        original = out;
      }
    }
    if (best == 1) {
      InflightTable::NoteOrphan(shinfo, CopyReason::kFlood);
    } else if (best == 0) {
      m = OrphanZcopy(m, CopyPoolFor(ctx.pools, m), CopyReason::kFlood);
      if (m == nullptr) {
        rx.Drop(DropReason::kNoMbuf, 1);
        return;
      }
    }
  }
  for (uint16_t out : members) {
    if (out == in_port || out == original) continue;
    rte_mbuf* pkt = rte_pktmbuf_copy(m, CopyPoolFor(ctx.pools, m), 0, UINT32_MAX);
    if (pkt == nullptr) {
      ctx.ports[out]->stats().tx(ctx.tx_queue).Drop(DropReason::kNoMbuf, 1);
      continue;
    }
    Deliver(ctx, box, out, pkt, vlan);
  }
  Deliver(ctx, box, original, m, vlan);
}

void L2SwitchEngine::Deliver(const FwdContext& ctx, Outbox& box, uint16_t out, rte_mbuf* m,
                             uint16_t vlan) {
  if (!vlans_.port(out).Egress(m, vlan)) {
    DropBurst(ctx.ports[out]->stats().tx(ctx.tx_queue), DropReason::kOffload, &m, 1);
    return;
  }
  if (box.count[out] == kBurst) {
    Flush(ctx, box, out);  // and it stays on the touched list
  } else if (box.count[out] == 0) {
    box.touched.push_back(out);
  }
  box.pkts[out][box.count[out]++] = m;
}

void L2SwitchEngine::Flush(const FwdContext& ctx, Outbox& box, uint16_t out) {
  SendBurst(ctx, *ctx.ports[out], box.pkts[out].data(), box.count[out]);
  box.count[out] = 0;
}

const FwdMode kL2SwitchMode = {
    .name = "l2switch",
    .help = "a learning switch with VLANs and flooding",
    .create = [](const FwdModeContext& c) -> absl::StatusOr<std::unique_ptr<FwdEngine>> {
      return std::make_unique<L2SwitchEngine>(c.fdb, *c.vlans, c.lcores);
    },
};

}  // namespace zcswitch
