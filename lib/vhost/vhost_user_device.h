// The back-end side of one vhost-user connection: feature negotiation, the
// memory table, and each vring's configuration, driven by front-end messages.
//
// The device decides when a vring is live (memory mapped, size and addresses
// set, started by a kick, and enabled; a transmit vring also while disabled,
// to be drained, as the spec asks) and tells its VringOwner to start or stop
// using it; the owner (the port) publishes the vring to the data path and,
// when told to stop, unpublishes it and waits for quiescence before it
// answers. The device never touches the rings itself. It is socket-agnostic:
// HandleMessage() takes a validated Message and returns the reply to send.
//
// Each request is handled as its row of ZCSWITCH_VHOST_USER_REQUESTS
// (vhost_user_message.h) says: a request that touches the data path is
// checked first, changing nothing, then the live vrings it concerns are
// stopped, the change made, and those vrings reconciled (started again if
// their configuration still allows), once, the same for every such request.
#ifndef ZCSWITCH_LIB_VHOST_VHOST_USER_DEVICE_H_
#define ZCSWITCH_LIB_VHOST_VHOST_USER_DEVICE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/split_queue.h"
#include "lib/vhost/vhost_user_message.h"

namespace zcswitch {

// Feature bits (virtio 1.x and vhost-user).
inline constexpr uint64_t kVirtioNetFCsum = 1ull << 0;       // the guest may send partial checksums
inline constexpr uint64_t kVirtioNetFGuestCsum = 1ull << 1;  // ... and take them
inline constexpr uint64_t kVirtioNetFGuestTso4 = 1ull << 7;  // the guest takes TCP segmentation requests
inline constexpr uint64_t kVirtioNetFGuestTso6 = 1ull << 8;
inline constexpr uint64_t kVirtioNetFHostTso4 = 1ull << 11;  // the guest may send them
inline constexpr uint64_t kVirtioNetFHostTso6 = 1ull << 12;
inline constexpr uint64_t kVirtioNetFMrgRxbuf = 1ull << 15;
inline constexpr uint64_t kVirtioNetFMq = 1ull << 22;
inline constexpr uint64_t kVirtioRingFIndirectDesc = 1ull << 28;
inline constexpr uint64_t kVirtioRingFEventIdx = 1ull << 29;
inline constexpr uint64_t kVhostUserFProtocolFeatures = 1ull << 30;
inline constexpr uint64_t kVirtioFVersion1 = 1ull << 32;
inline constexpr uint64_t kVirtioFInOrder = 1ull << 35;

inline constexpr uint64_t kProtocolFMq = 1ull << 0;
inline constexpr uint64_t kProtocolFReplyAck = 1ull << 3;

// The names of the feature bits above that `features` has, lowest bit first;
// a bit without a name here appears as "bit N".
std::vector<std::string> FeatureNames(uint64_t features);

// A vring as the front-end configured it.
struct VringConfig {
  uint16_t size = 0;
  bool addrs_set = false;
  SplitQueueAddrs addrs{};
  uint16_t base = 0;  // next avail index to take
  int kick_fd = -1;
  int call_fd = -1;  // -1: the front-end polls, no notifications
  int err_fd = -1;
  bool started = false;  // a kick arrived and the ring was not stopped since
  bool enabled = false;
};

// What the device needs from whoever runs the vrings.
class VringOwner {
 public:
  virtual ~VringOwner() = default;
  // Vring `index` may now be used with this configuration and memory. A
  // transmit vring that is not enabled is to be drained: its packets taken
  // and discarded.
  virtual absl::Status StartVring(uint16_t index, const VringConfig& config,
                                  std::shared_ptr<const GuestMemory> memory) = 0;
  // Vring `index` must no longer be used once this returns; the result is
  // the next avail index the data path would have taken.
  virtual uint16_t StopVring(uint16_t index) = 0;
};

class VhostUserDevice {
 public:
  struct Reply {
    uint32_t request;
    std::vector<uint8_t> payload;
  };

  // `queue_pairs`: how many RX/TX pairs the port has (vrings 0 .. 2n-1).
  // `offer_in_order`: whether VIRTIO_F_IN_ORDER is offered. Memory tables
  // are registered for device DMA with dma->get(), when there is one.
  VhostUserDevice(uint16_t queue_pairs, VringOwner* owner, bool offer_in_order = true,
                  const GuestDmaSlot* dma = nullptr);
  ~VhostUserDevice();

  // The features offered to front-ends.
  uint64_t offered_features() const { return offered_features_; }
  uint64_t features() const { return features_; }
  uint64_t protocol_features() const { return protocol_features_; }
  const VringConfig& vring(uint16_t index) const { return vrings_[index]; }
  bool live(uint16_t vring) const { return live_[vring]; }
  bool enabled(uint16_t vring) const { return vrings_[vring].enabled; }
  // -1 when the front-end gave none. Valid until the next HandleMessage().
  int kick_fd(uint16_t vring) const { return vrings_[vring].kick_fd; }
  uint16_t num_vrings() const { return static_cast<uint16_t>(vrings_.size()); }
  const GuestMemory* memory() const { return memory_.get(); }

  // Handles a message that passed ValidateMessage(). An error means the
  // connection must be closed; a reply (also an error's NACK, when the
  // front-end asked for one) is returned to be sent first.
  struct Result {
    absl::Status status;
    std::optional<Reply> reply;
  };
  Result HandleMessage(Message& message);

  // The connection is gone: stops every live vring and forgets all state.
  void Reset();

 private:
  // Handlers, one per row of ZCSWITCH_VHOST_USER_REQUESTS, are of two kinds.
  // One for a request that leaves the data path alone acts at once.
  using Act = absl::StatusOr<std::optional<Reply>> (VhostUserDevice::*)(Message& m);
  // One for a request that touches the data path checks it against the
  // device's state and changes nothing: it returns the change, which
  // Dispatch makes with the vrings concerned stopped, and reconciles them
  // after. `vring` is the vring the request names, checked (0 when it
  // concerns every live vring).
  using Change = absl::AnyInvocable<std::optional<Reply>() &&>;
  using Prepare = absl::StatusOr<Change> (VhostUserDevice::*)(Message& m, uint16_t vring);
  // A row of the table names its handler only, of either kind.
  struct Handler {
    constexpr Handler(Act act) : act(act) {}
    constexpr Handler(Prepare prepare) : prepare(prepare) {}
    Act act = nullptr;
    Prepare prepare = nullptr;
  };
  static const Handler kHandlers[];

  absl::StatusOr<std::optional<Reply>> Dispatch(Message& m);
  absl::StatusOr<uint16_t> VringIndex(uint64_t index) const;
  // Starts or stops vring `index` to match its configuration.
  absl::Status Reconcile(uint16_t index);
  void StopIfLive(uint16_t index);

  absl::StatusOr<std::optional<Reply>> GetFeatures(Message& m);
  absl::StatusOr<std::optional<Reply>> SetFeatures(Message& m);
  absl::StatusOr<std::optional<Reply>> GetProtocolFeatures(Message& m);
  absl::StatusOr<std::optional<Reply>> SetProtocolFeatures(Message& m);
  absl::StatusOr<std::optional<Reply>> GetQueueNum(Message& m);
  absl::StatusOr<std::optional<Reply>> SetVringErr(Message& m);
  absl::StatusOr<std::optional<Reply>> Ignore(Message& m);
  absl::StatusOr<std::optional<Reply>> Unsupported(Message& m);
  absl::StatusOr<Change> ResetOwner(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetMemTable(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringNum(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringAddr(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringBase(Message& m, uint16_t vring);
  absl::StatusOr<Change> GetVringBase(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringKick(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringCall(Message& m, uint16_t vring);
  absl::StatusOr<Change> SetVringEnable(Message& m, uint16_t vring);

  const uint16_t queue_pairs_;
  VringOwner* const owner_;
  const GuestDmaSlot* const dma_;
  const uint64_t offered_features_;
  const uint64_t offered_protocol_features_;
  uint64_t features_ = 0;
  uint64_t protocol_features_ = 0;
  std::shared_ptr<const GuestMemory> memory_;
  std::vector<VringConfig> vrings_;
  std::vector<bool> live_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VHOST_USER_DEVICE_H_
