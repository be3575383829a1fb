// The device side of one split virtqueue: taking buffers the driver made
// available and returning them as used, with notification suppression both
// ways (VIRTIO_RING_F_EVENT_IDX or the flags).
//
// The rings live in guest memory, which the guest may scribble on at any
// time. The queue reads each index once, with acquire ordering where the spec
// needs it, and never trusts what it reads: an avail index that runs further
// ahead than the ring has entries marks the queue broken, and heads are
// checked by WalkChain. Used entries are written first and published with one
// release store of the used index. One lcore drives a queue; nothing here locks.
#ifndef ZCSWITCH_LIB_VHOST_SPLIT_QUEUE_H_
#define ZCSWITCH_LIB_VHOST_SPLIT_QUEUE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/virtq_layout.h"

namespace zcswitch {

struct SplitQueueAddrs {
  uint64_t desc_uva;  // as in VHOST_USER_SET_VRING_ADDR: frontend virtual addresses
  uint64_t avail_uva;
  uint64_t used_uva;
};

class SplitQueue {
 public:
  // Translates and checks the three areas for `size` entries (a power of two,
  // up to 32768). `next_avail` is where to start (VHOST_USER_SET_VRING_BASE).
  // The queue does not own `memory`; whoever holds the SplitQueue holds a
  // reference to it.
  static absl::StatusOr<SplitQueue> Create(const GuestMemory& memory, const SplitQueueAddrs& addrs,
                                           uint16_t size, uint16_t next_avail, bool event_idx);

  // An empty queue, to be assigned one from Create().
  SplitQueue() = default;

  uint16_t size() const { return size_; }
  const VringDesc* desc_table() const { return desc_; }

  // How many buffers the driver has made available and we have not taken.
  // 0, and broken() from then on, if the driver claims more than the ring holds.
  uint16_t AvailCount();
  // The next available head. Only after AvailCount() said there is one.
  uint16_t PopAvail();
  // Gives back the last `n` heads popped (not yet pushed as used), to be
  // taken again later.
  void UndoPop(uint16_t n) { next_avail_ = static_cast<uint16_t>(next_avail_ - n); }

  // Returns buffer `head` with `len` bytes written into it. Seen by the driver
  // only after PublishUsed().
  void PushUsed(uint32_t head, uint32_t len);
  void PublishUsed();

  // After PublishUsed(): whether the driver asked to be told (call eventfd).
  bool NeedsNotify();

  // Before sleeping on the kick eventfd: asks the driver to kick for what it
  // adds after what we have taken. Without EVENT_IDX, clears NO_NOTIFY.
  void EnableKicks();
  // While polling: kicks are not needed (without EVENT_IDX, sets NO_NOTIFY).
  void DisableKicks();

  // For VHOST_USER_GET_VRING_BASE: the next avail index we would take.
  uint16_t next_avail() const { return next_avail_; }
  uint16_t next_used() const { return next_used_; }
  bool broken() const { return broken_; }

 private:
  VringDesc* desc_ = nullptr;
  uint16_t* avail_ = nullptr;  // flags, idx, ring[size], used_event
  uint16_t* used_ = nullptr;   // flags, idx, then ring entries, then avail_event
  uint16_t size_ = 0;
  bool event_idx_ = false;
  bool broken_ = false;
  uint16_t next_avail_ = 0;
  uint16_t next_used_ = 0;       // next used slot we fill
  uint16_t published_used_ = 0;  // used index the driver has seen
  uint16_t notified_used_ = 0;   // used index at the last notification decision
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_SPLIT_QUEUE_H_
