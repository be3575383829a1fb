#include "lib/vhost/vhost_user_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"

namespace zcswitch {
namespace {

using R = VhostUserRequest;

VhostUserDevice::Reply U64Reply(uint32_t request, uint64_t value) {
  VhostUserDevice::Reply r{request, std::vector<uint8_t>(sizeof(value))};
  std::memcpy(r.payload.data(), &value, sizeof(value));
  return r;
}

// Kick, call and error fds must be eventfds, made non-blocking: the data path
// writes call fds, and a front-end that lets an eventfd's counter fill up
// must not block an lcore.
absl::Status CheckEventFd(int fd) {
  char target[64] = {};
  const std::string link = absl::StrCat("/proc/self/fd/", fd);
  if (readlink(link.c_str(), target, sizeof(target) - 1) < 0 ||
      std::string_view(target) != "anon_inode:[eventfd]") {
    return absl::InvalidArgumentError(absl::StrCat("fd is not an eventfd (", target, ")"));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return absl::InternalError("cannot make the eventfd non-blocking");
  }
  return absl::OkStatus();
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

VhostUserDevice::VhostUserDevice(uint16_t queue_pairs, VringOwner* owner)
    : queue_pairs_(queue_pairs),
      owner_(owner),
      // IN_ORDER: copy mode returns every buffer in the order it was made
      // available, and drivers have faster paths for it. Zero-copy, which
      // completes out of order, will have to stop offering it.
      // Checksum and TCP segmentation both ways: a guest's large TCP frames
      // cross the switch whole, and are cut up only for a port that cannot
      // take them (lib/offload). EVENT_IDX spares the guest interrupts and
      // kicks.
      offered_features_(kVirtioFVersion1 | kVirtioFInOrder | kVirtioNetFMrgRxbuf |
                        kVirtioRingFIndirectDesc | kVirtioRingFEventIdx |
                        kVhostUserFProtocolFeatures | kVirtioNetFCsum | kVirtioNetFGuestCsum |
                        kVirtioNetFGuestTso4 | kVirtioNetFGuestTso6 | kVirtioNetFHostTso4 |
                        kVirtioNetFHostTso6 | (queue_pairs > 1 ? kVirtioNetFMq : 0)),
      offered_protocol_features_(kProtocolFMq | kProtocolFReplyAck),
      vrings_(2 * queue_pairs),
      live_(2 * queue_pairs, false) {}

VhostUserDevice::~VhostUserDevice() { Reset(); }

void VhostUserDevice::Reset() {
  for (uint16_t i = 0; i < vrings_.size(); ++i) {
    StopIfLive(i);
    VringConfig& v = vrings_[i];
    CloseFd(v.kick_fd);
    CloseFd(v.call_fd);
    CloseFd(v.err_fd);
    v = VringConfig{};
  }
  memory_.reset();
  features_ = 0;
  protocol_features_ = 0;
}

VhostUserDevice::Result VhostUserDevice::HandleMessage(Message& m) {
  const bool ack =
      (m.header.flags & kVhostUserFlagNeedReply) && (protocol_features_ & kProtocolFReplyAck);
  absl::StatusOr<std::optional<Reply>> r = Dispatch(m);
  if (!r.ok()) {
    Result result{absl::Status(r.status().code(), absl::StrCat(RequestName(m.header.request), ": ",
                                                               r.status().message())),
                  std::nullopt};
    if (ack) result.reply = U64Reply(m.header.request, 1);
    return result;
  }
  if (r->has_value()) return {absl::OkStatus(), std::move(*r)};
  if (ack) return {absl::OkStatus(), U64Reply(m.header.request, 0)};
  return {absl::OkStatus(), std::nullopt};
}

absl::StatusOr<uint16_t> VhostUserDevice::VringIndex(uint64_t index) const {
  if (index >= vrings_.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vring %d does not exist (the port has %d queue pairs, vrings 0-%d)", index,
                        queue_pairs_, vrings_.size() - 1));
  }
  return static_cast<uint16_t>(index);
}

void VhostUserDevice::StopIfLive(uint16_t index) {
  if (!live_[index]) return;
  vrings_[index].base = owner_->StopVring(index);
  live_[index] = false;
}

absl::Status VhostUserDevice::Reconcile(uint16_t index) {
  const VringConfig& v = vrings_[index];
  // Odd vrings are the guest's transmit queues.
  const bool transmit = index % 2 == 1;
  const bool want = memory_ != nullptr && v.size != 0 && v.addrs_set && v.started &&
                    (v.enabled || transmit);
  if (want == live_[index]) return absl::OkStatus();
  if (!want) {
    StopIfLive(index);
    return absl::OkStatus();
  }
  ZC_RETURN_IF_ERROR(owner_->StartVring(index, v, memory_));
  live_[index] = true;
  return absl::OkStatus();
}

absl::Status VhostUserDevice::SetMemTable(Message& m) {
  const auto table = m.As<MemoryTablePayload>();
  std::vector<int> fds;
  for (size_t i = 0; i < m.fds().size(); ++i) fds.push_back(m.TakeFd(i));
  ZC_ASSIGN_OR_RETURN(std::shared_ptr<const GuestMemory> memory,
                      GuestMemory::Map(absl::MakeConstSpan(table.regions, table.nregions), fds));
  // Live vrings move to the new table: stopped (quiesced) on the old one,
  // started again on the new. The old mapping goes when its last user does.
  std::vector<uint16_t> restart;
  for (uint16_t i = 0; i < vrings_.size(); ++i) {
    if (live_[i]) {
      StopIfLive(i);
      restart.push_back(i);
    }
  }
  memory_ = std::move(memory);
  for (uint16_t i : restart) ZC_RETURN_IF_ERROR(Reconcile(i));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::Dispatch(Message& m) {
  const auto request = static_cast<R>(m.header.request);
  switch (request) {
    case R::kGetFeatures:
      return U64Reply(m.header.request, offered_features_);
    case R::kSetFeatures: {
      const auto features = m.As<uint64_t>();
      if (features & ~offered_features_) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "features 0x%x include some not offered (0x%x)", features, offered_features_));
      }
      if (!(features & kVirtioFVersion1)) {
        return absl::InvalidArgumentError("VIRTIO_F_VERSION_1 is required (no legacy virtio)");
      }
      features_ = features;
      return std::nullopt;
    }
    case R::kGetProtocolFeatures:
      return U64Reply(m.header.request, offered_protocol_features_);
    case R::kSetProtocolFeatures: {
      const auto features = m.As<uint64_t>();
      if (features & ~offered_protocol_features_) {
        return absl::InvalidArgumentError(
            absl::StrFormat("protocol features 0x%x include some not offered", features));
      }
      protocol_features_ = features;
      return std::nullopt;
    }
    case R::kGetQueueNum:
      return U64Reply(m.header.request, queue_pairs_);
    case R::kSetOwner:
      return std::nullopt;
    case R::kResetOwner:
      Reset();
      return std::nullopt;
    case R::kSetMemTable:
      ZC_RETURN_IF_ERROR(SetMemTable(m));
      return std::nullopt;
    case R::kSetVringNum: {
      const auto s = m.As<VringStatePayload>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(s.index));
      if (s.num == 0 || s.num > kMaxQueueSize || (s.num & (s.num - 1)) != 0) {
        return absl::InvalidArgumentError(
            absl::StrFormat("vring %d: size %d is not a power of two up to 32768", i, s.num));
      }
      StopIfLive(i);
      vrings_[i].size = static_cast<uint16_t>(s.num);
      ZC_RETURN_IF_ERROR(Reconcile(i));
      return std::nullopt;
    }
    case R::kSetVringAddr: {
      const auto a = m.As<VringAddrPayload>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(a.index));
      StopIfLive(i);
      vrings_[i].addrs = {a.desc_user_addr, a.avail_user_addr, a.used_user_addr};
      vrings_[i].addrs_set = true;
      ZC_RETURN_IF_ERROR(Reconcile(i));
      return std::nullopt;
    }
    case R::kSetVringBase: {
      const auto s = m.As<VringStatePayload>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(s.index));
      StopIfLive(i);
      vrings_[i].base = static_cast<uint16_t>(s.num);
      ZC_RETURN_IF_ERROR(Reconcile(i));
      return std::nullopt;
    }
    case R::kGetVringBase: {
      const auto s = m.As<VringStatePayload>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(s.index));
      // The spec: this stops the ring.
      StopIfLive(i);
      vrings_[i].started = false;
      CloseFd(vrings_[i].kick_fd);
      VringStatePayload state{i, vrings_[i].base};
      Reply r{m.header.request, std::vector<uint8_t>(sizeof(state))};
      std::memcpy(r.payload.data(), &state, sizeof(state));
      return r;
    }
    case R::kSetVringKick:
    case R::kSetVringCall:
    case R::kSetVringErr: {
      const auto value = m.As<uint64_t>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(value & kVringIndexMask));
      const bool no_fd = value & kVringNoFdFlag;
      if (no_fd != m.fds().empty()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("vring %d: the no-fd flag and the fds sent disagree", i));
      }
      if (!no_fd) ZC_RETURN_IF_ERROR(CheckEventFd(m.fds()[0]));
      const int fd = no_fd ? -1 : m.TakeFd(0);
      VringConfig& v = vrings_[i];
      if (request == R::kSetVringErr) {
        CloseFd(v.err_fd);
        v.err_fd = fd;
        return std::nullopt;
      }
      // A live vring keeps using its call fd: stop it before the fd changes.
      StopIfLive(i);
      if (request == R::kSetVringKick) {
        CloseFd(v.kick_fd);
        v.kick_fd = fd;
        v.started = true;
        // Without protocol features a ring is enabled as soon as it starts.
        if (!(features_ & kVhostUserFProtocolFeatures)) v.enabled = true;
      } else {
        CloseFd(v.call_fd);
        v.call_fd = fd;
      }
      ZC_RETURN_IF_ERROR(Reconcile(i));
      return std::nullopt;
    }
    case R::kSetVringEnable: {
      const auto s = m.As<VringStatePayload>();
      ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(s.index));
      // A live transmit vring starts again in its new role (drained or not).
      StopIfLive(i);
      vrings_[i].enabled = s.num != 0;
      ZC_RETURN_IF_ERROR(Reconcile(i));
      return std::nullopt;
    }
    case R::kSendRarp:
    case R::kNetSetMtu:
      // Nothing to do: a switch learns from traffic, and its ports take any MTU.
      return std::nullopt;
    default:
      return absl::UnimplementedError("not supported by zcswitch");
  }
}

std::vector<std::string> FeatureNames(uint64_t features) {
  static constexpr std::pair<uint64_t, const char*> kNames[] = {
      {kVirtioNetFCsum, "CSUM"},
      {kVirtioNetFGuestCsum, "GUEST_CSUM"},
      {kVirtioNetFGuestTso4, "GUEST_TSO4"},
      {kVirtioNetFGuestTso6, "GUEST_TSO6"},
      {kVirtioNetFHostTso4, "HOST_TSO4"},
      {kVirtioNetFHostTso6, "HOST_TSO6"},
      {kVirtioNetFMrgRxbuf, "MRG_RXBUF"},
      {kVirtioNetFMq, "MQ"},
      {kVirtioRingFIndirectDesc, "INDIRECT_DESC"},
      {kVirtioRingFEventIdx, "EVENT_IDX"},
      {kVhostUserFProtocolFeatures, "PROTOCOL_FEATURES"},
      {kVirtioFVersion1, "VERSION_1"},
      {kVirtioFInOrder, "IN_ORDER"},
  };
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    const uint64_t mask = uint64_t{1} << bit;
    if (!(features & mask)) continue;
    const auto* known = std::find_if(std::begin(kNames), std::end(kNames),
                                     [mask](const auto& n) { return n.first == mask; });
    names.push_back(known != std::end(kNames) ? known->second : absl::StrCat("bit ", bit));
  }
  return names;
}

}  // namespace zcswitch
