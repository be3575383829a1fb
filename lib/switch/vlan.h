// VLAN membership of switch ports, and the tag handling at the port edge.
//
// A port is untagged (it carries only untagged frames: VLAN 0, the untagged
// domain), an access port of one VLAN (the tag is implied on receive and
// never sent), or a trunk of a set of VLANs (every frame carries its tag;
// there is no native VLAN). Inside the switch a packet is untagged and its
// VLAN is metadata, so every destination adds what its own kind needs.
// Frames never cross VLANs: whatever a port does not carry is refused.
#ifndef ZCSWITCH_LIB_SWITCH_VLAN_H_
#define ZCSWITCH_LIB_SWITCH_VLAN_H_

#include <rte_mbuf.h>

#include <bitset>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zcswitch {

inline constexpr uint16_t kUntaggedVlan = 0;
inline constexpr uint16_t kMaxVlan = 4094;

class PortVlan {
 public:
  enum class Kind { kUntagged, kAccess, kTrunk };

  static PortVlan Untagged() { return PortVlan(Kind::kUntagged, kUntaggedVlan, {}); }
  // `vlan` in [1, kMaxVlan].
  static PortVlan Access(uint16_t vlan) { return PortVlan(Kind::kAccess, vlan, {}); }
  // Every VLAN in [1, kMaxVlan].
  static PortVlan Trunk(absl::Span<const uint16_t> vlans);

  Kind kind() const { return kind_; }
  uint16_t access_vlan() const { return access_; }
  // Whether frames of `vlan` may enter and leave this port.
  bool Carries(uint16_t vlan) const;
  // Every VLAN the port carries, ascending.
  std::vector<uint16_t> Vlans() const;

  // Data path, on receive: the packet's VLAN, with its 802.1Q tag (if any)
  // taken off; nullopt if the port does not carry it (the packet is left
  // as it was). A priority tag (VLAN 0) counts as no tag.
  std::optional<uint16_t> Ingress(rte_mbuf* m) const;
  // Data path, on send: puts `vlan`'s tag on if this is a trunk. False if it
  // could not (no headroom, or the mbuf is shared).
  bool Egress(rte_mbuf* m, uint16_t vlan) const;

 private:
  PortVlan(Kind kind, uint16_t access, std::bitset<kMaxVlan + 1> trunk)
      : kind_(kind), access_(access), trunk_(trunk) {}

  Kind kind_;
  uint16_t access_;
  std::bitset<kMaxVlan + 1> trunk_;
};

// Every port's PortVlan (index = port id) and, per VLAN, the ports that
// carry it in ascending order: the flood list of that VLAN.
class VlanMap {
 public:
  explicit VlanMap(std::vector<PortVlan> ports);

  size_t num_ports() const { return ports_.size(); }
  const PortVlan& port(uint16_t id) const { return ports_[id]; }
  absl::Span<const uint16_t> Members(uint16_t vlan) const {
    return vlan < members_.size() ? absl::MakeConstSpan(members_[vlan])
                                  : absl::Span<const uint16_t>();
  }

 private:
  std::vector<PortVlan> ports_;
  std::vector<std::vector<uint16_t>> members_;  // index = VLAN
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_VLAN_H_
