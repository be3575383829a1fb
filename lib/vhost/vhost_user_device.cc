#include "lib/vhost/vhost_user_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"

namespace zcswitch {
namespace {

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

// The vring a request that names one names: the index of a vring state or
// address, or the low byte of a u64.
uint64_t NamedVring(const Message& m, PayloadKind payload) {
  if (payload == PayloadKind::kU64) return m.As<uint64_t>() & kVringIndexMask;
  static_assert(offsetof(VringStatePayload, index) == 0 && offsetof(VringAddrPayload, index) == 0);
  return m.As<VringStatePayload>().index;
}

// The fd of SET_VRING_KICK/CALL/ERR for vring `i` agrees with its no-fd flag
// and is an eventfd.
absl::Status CheckVringFd(const Message& m, uint16_t i) {
  const bool no_fd = m.As<uint64_t>() & kVringNoFdFlag;
  if (no_fd != m.fds().empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vring %d: the no-fd flag and the fds sent disagree", i));
  }
  return no_fd ? absl::OkStatus() : CheckEventFd(m.fds()[0]);
}

// After CheckVringFd: the fd, now the caller's, or -1 for "no fd: poll".
int TakeVringFd(Message& m) { return m.fds().empty() ? -1 : m.TakeFd(0); }

}  // namespace

VhostUserDevice::VhostUserDevice(uint16_t queue_pairs, VringOwner* owner, bool offer_in_order,
                                 const GuestDmaSlot* dma)
    : queue_pairs_(queue_pairs),
      owner_(owner),
      dma_(dma),
      // IN_ORDER: copy mode returns every buffer in the order it was made
      // available, and drivers have faster paths for it. Zero-copy returns
      // a lent buffer when the NIC is done with it, out of order: a port
      // that may lend does not offer it.
      // Checksum and TCP segmentation both ways: a guest's large TCP frames
      // cross the switch whole, and are cut up only for a port that cannot
      // take them (lib/offload). EVENT_IDX spares the guest interrupts and
      // kicks.
      offered_features_(kVirtioFVersion1 | (offer_in_order ? kVirtioFInOrder : 0) | kVirtioNetFMrgRxbuf |
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

#define ZCSWITCH_VHOST_USER_REQUEST_HANDLER(enumerator, code, name, payload, max_fds, data_path, \
                                            handler)                                             \
  &VhostUserDevice::handler,
const VhostUserDevice::Handler VhostUserDevice::kHandlers[] = {
    ZCSWITCH_VHOST_USER_REQUESTS(ZCSWITCH_VHOST_USER_REQUEST_HANDLER)};
#undef ZCSWITCH_VHOST_USER_REQUEST_HANDLER

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::Dispatch(Message& m) {
  // A row's handler is of the kind its data-path column calls for: the
  // generic stop and reconcile below rely on it.
#define ZCSWITCH_VHOST_USER_REQUEST_KIND(enumerator, code, name, payload, max_fds, data_path, \
                                         handler)                                             \
  static_assert((DataPath::data_path == DataPath::kUntouched) ==                              \
                    std::is_same_v<decltype(&VhostUserDevice::handler), Act>,                 \
                "the handler of " name " does not match its data-path column");
  ZCSWITCH_VHOST_USER_REQUESTS(ZCSWITCH_VHOST_USER_REQUEST_KIND)
#undef ZCSWITCH_VHOST_USER_REQUEST_KIND

  const RequestInfo* info = FindRequest(m.header.request);
  if (info == nullptr) return absl::InvalidArgumentError("unknown request");
  const Handler& handler = kHandlers[info - KnownRequests().data()];
  if (info->data_path == DataPath::kUntouched) return (this->*handler.act)(m);

  uint16_t vring = 0;
  if (info->data_path == DataPath::kItsVring) {
    ZC_ASSIGN_OR_RETURN(vring, VringIndex(NamedVring(m, info->payload)));
  }
  ZC_ASSIGN_OR_RETURN(Change change, (this->*handler.prepare)(m, vring));
  std::vector<uint16_t> concerned;
  if (info->data_path == DataPath::kItsVring) {
    concerned.push_back(vring);
  } else {
    for (uint16_t i = 0; i < vrings_.size(); ++i) {
      if (live_[i]) concerned.push_back(i);
    }
  }
  for (uint16_t i : concerned) StopIfLive(i);
  std::optional<Reply> reply = std::move(change)();
  for (uint16_t i : concerned) ZC_RETURN_IF_ERROR(Reconcile(i));
  return reply;
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::GetFeatures(Message& m) {
  return U64Reply(m.header.request, offered_features_);
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::SetFeatures(Message& m) {
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

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::GetProtocolFeatures(
    Message& m) {
  return U64Reply(m.header.request, offered_protocol_features_);
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::SetProtocolFeatures(
    Message& m) {
  const auto features = m.As<uint64_t>();
  if (features & ~offered_protocol_features_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("protocol features 0x%x include some not offered", features));
  }
  protocol_features_ = features;
  return std::nullopt;
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::GetQueueNum(Message& m) {
  return U64Reply(m.header.request, queue_pairs_);
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::SetVringErr(Message& m) {
  // The error fd is the front-end's to read; the data path never uses it.
  ZC_ASSIGN_OR_RETURN(const uint16_t i, VringIndex(m.As<uint64_t>() & kVringIndexMask));
  ZC_RETURN_IF_ERROR(CheckVringFd(m, i));
  CloseFd(vrings_[i].err_fd);
  vrings_[i].err_fd = TakeVringFd(m);
  return std::nullopt;
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::Ignore(Message&) {
  // SET_OWNER: the connection is the owner. SEND_RARP, NET_SET_MTU: a switch
  // learns from traffic, and its ports take any MTU.
  return std::nullopt;
}

absl::StatusOr<std::optional<VhostUserDevice::Reply>> VhostUserDevice::Unsupported(Message&) {
  return absl::UnimplementedError("not supported by zcswitch");
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::ResetOwner(Message&, uint16_t) {
  return Change([this] {
    Reset();
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetMemTable(Message& m, uint16_t) {
  const auto table = m.As<MemoryTablePayload>();
  std::vector<int> fds;
  for (size_t i = 0; i < m.fds().size(); ++i) fds.push_back(m.TakeFd(i));
  ZC_ASSIGN_OR_RETURN(std::shared_ptr<const GuestMemory> memory,
                      GuestMemory::Map(absl::MakeConstSpan(table.regions, table.nregions), fds,
                                       dma_ != nullptr ? dma_->get() : nullptr));
  // Live vrings move to the new table: stopped (quiesced) on the old one,
  // started again on the new. The old mapping goes when its last user does.
  return Change([this, memory = std::move(memory)]() mutable {
    memory_ = std::move(memory);
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringNum(Message& m, uint16_t i) {
  const uint32_t num = m.As<VringStatePayload>().num;
  if (num == 0 || num > kMaxQueueSize || (num & (num - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("vring %d: size %d is not a power of two up to 32768", i, num));
  }
  return Change([this, i, num] {
    vrings_[i].size = static_cast<uint16_t>(num);
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringAddr(Message& m, uint16_t i) {
  const auto a = m.As<VringAddrPayload>();
  return Change([this, i, a] {
    vrings_[i].addrs = {a.desc_user_addr, a.avail_user_addr, a.used_user_addr};
    vrings_[i].addrs_set = true;
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringBase(Message& m, uint16_t i) {
  const uint32_t base = m.As<VringStatePayload>().num;
  return Change([this, i, base] {
    vrings_[i].base = static_cast<uint16_t>(base);
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::GetVringBase(Message& m, uint16_t i) {
  // The spec: this stops the ring. The reply is where the data path was.
  return Change([this, i, request = m.header.request] {
    vrings_[i].started = false;
    CloseFd(vrings_[i].kick_fd);
    VringStatePayload state{i, vrings_[i].base};
    Reply r{request, std::vector<uint8_t>(sizeof(state))};
    std::memcpy(r.payload.data(), &state, sizeof(state));
    return r;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringKick(Message& m, uint16_t i) {
  ZC_RETURN_IF_ERROR(CheckVringFd(m, i));
  return Change([this, &m, i] {
    VringConfig& v = vrings_[i];
    CloseFd(v.kick_fd);
    v.kick_fd = TakeVringFd(m);
    v.started = true;
    // Without protocol features a ring is enabled as soon as it starts.
    if (!(features_ & kVhostUserFProtocolFeatures)) v.enabled = true;
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringCall(Message& m, uint16_t i) {
  // A live vring keeps using its call fd: it changes only while stopped.
  ZC_RETURN_IF_ERROR(CheckVringFd(m, i));
  return Change([this, &m, i] {
    CloseFd(vrings_[i].call_fd);
    vrings_[i].call_fd = TakeVringFd(m);
    return std::nullopt;
  });
}

absl::StatusOr<VhostUserDevice::Change> VhostUserDevice::SetVringEnable(Message& m, uint16_t i) {
  // A live transmit vring starts again in its new role (drained or not).
  const bool enabled = m.As<VringStatePayload>().num != 0;
  return Change([this, i, enabled] {
    vrings_[i].enabled = enabled;
    return std::nullopt;
  });
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
