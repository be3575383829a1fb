#include "lib/switch/vlan.h"

#include <rte_ether.h>

#include "lib/offload/soft_offload.h"

namespace zcswitch {
namespace {

constexpr uint16_t kVidMask = 0x0fff;

}  // namespace

PortVlan PortVlan::Trunk(absl::Span<const uint16_t> vlans) {
  std::bitset<kMaxVlan + 1> set;
  for (uint16_t v : vlans) {
    if (v >= 1 && v <= kMaxVlan) set.set(v);
  }
  return PortVlan(Kind::kTrunk, kUntaggedVlan, set);
}

bool PortVlan::Carries(uint16_t vlan) const {
  switch (kind_) {
    case Kind::kUntagged:
      return vlan == kUntaggedVlan;
    case Kind::kAccess:
      return vlan == access_;
    case Kind::kTrunk:
      return vlan <= kMaxVlan && trunk_.test(vlan);
  }
  return false;
}

std::vector<uint16_t> PortVlan::Vlans() const {
  std::vector<uint16_t> out;
  for (uint16_t v = 0; v <= kMaxVlan; ++v) {
    if (Carries(v)) out.push_back(v);
  }
  return out;
}

std::optional<uint16_t> PortVlan::Ingress(rte_mbuf* m) const {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  uint16_t tci = 0;
  bool in_frame = false;  // the tag is in the bytes, not stripped by the NIC
  if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) {
    tci = m->vlan_tci;
  } else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
    if (rte_pktmbuf_data_len(m) < sizeof(rte_ether_hdr) + sizeof(rte_vlan_hdr)) {
      return std::nullopt;
    }
    tci = rte_be_to_cpu_16(reinterpret_cast<const rte_vlan_hdr*>(eth + 1)->vlan_tci);
    in_frame = true;
  }
  const uint16_t vid = tci & kVidMask;
  const uint16_t vlan = vid != 0 ? vid : (kind_ == Kind::kAccess ? access_ : kUntaggedVlan);
  // A trunk has no native VLAN, and an access or untagged port takes no
  // frame tagged with a VLAN of its own choosing.
  if (kind_ == Kind::kTrunk ? (vid == 0 || !trunk_.test(vid)) : vid != 0) return std::nullopt;
  if (in_frame) {
    rte_vlan_strip(m);
    // A guest's offload request measured its L2 header with the tag.
    if ((m->ol_flags & kTxOffloadRequests) && m->l2_len >= sizeof(rte_vlan_hdr)) {
      m->l2_len -= sizeof(rte_vlan_hdr);
    }
  }
  // Keep the priority bits for a trunk to send on.
  m->vlan_tci = (tci & ~kVidMask) | vlan;
  return vlan;
}

bool PortVlan::Egress(rte_mbuf* m, uint16_t vlan) const {
  if (kind_ != Kind::kTrunk) return true;
  m->vlan_tci = (m->vlan_tci & ~kVidMask) | vlan;
  const uint8_t l2_len = m->l2_len;
  if (rte_vlan_insert(&m) != 0) return false;
  // rte_vlan_insert lengthens l2_len for the offloads that read it; with no
  // offload requested, l2_len means nothing and stays as it was.
  if (!(m->ol_flags & kTxOffloadRequests)) m->l2_len = l2_len;
  return true;
}

VlanMap::VlanMap(std::vector<PortVlan> ports) : ports_(std::move(ports)) {
  members_.resize(kMaxVlan + 1);
  for (size_t id = 0; id < ports_.size(); ++id) {
    for (uint16_t v : ports_[id].Vlans()) members_[v].push_back(static_cast<uint16_t>(id));
  }
}

}  // namespace zcswitch
