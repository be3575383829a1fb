#include "lib/vhost/split_queue.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

// Ring field offsets in uint16_t units.
constexpr size_t kFlags = 0;
constexpr size_t kIdx = 1;
constexpr size_t kAvailRing = 2;

uint16_t LoadAcquire(const uint16_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
uint16_t LoadRelaxed(const uint16_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
void StoreRelaxed(uint16_t* p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

// virtio's vring_need_event: whether `event` lies in (old, new].
bool NeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace

absl::StatusOr<SplitQueue> SplitQueue::Create(const GuestMemory& memory,
                                              const SplitQueueAddrs& addrs, uint16_t size,
                                              uint16_t next_avail, bool event_idx) {
  if (size == 0 || (size & (size - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat("queue size %d is not a power of two", size));
  }
  // Alignment the spec requires: 16 for descriptors, 2 for avail, 4 for used.
  if (addrs.desc_uva % 16 != 0 || addrs.avail_uva % 2 != 0 || addrs.used_uva % 4 != 0) {
    return absl::InvalidArgumentError("vring addresses are misaligned");
  }
  SplitQueue q;
  // SAFETY: each area is translated with its full size for `size` entries,
  // EVENT_IDX trailer included, so every access below at an index masked by
  // size - 1 (or at the trailer) stays inside guest memory. The memory
  // outlives the queue (see Create's contract).
  q.desc_ = reinterpret_cast<VringDesc*>(memory.UvaToHva(addrs.desc_uva, DescTableBytes(size)));
  q.avail_ = reinterpret_cast<uint16_t*>(memory.UvaToHva(addrs.avail_uva, AvailRingBytes(size)));
  q.used_ = reinterpret_cast<uint16_t*>(memory.UvaToHva(addrs.used_uva, UsedRingBytes(size)));
  if (q.desc_ == nullptr || q.avail_ == nullptr || q.used_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "vring of %d entries (desc 0x%x, avail 0x%x, used 0x%x) is not inside guest memory", size,
        addrs.desc_uva, addrs.avail_uva, addrs.used_uva));
  }
  // The host addresses too: a region whose offset and frontend address
  // disagree in their low bits would misalign them, and the ring indices are
  // read and written atomically.
  if (reinterpret_cast<uintptr_t>(q.desc_) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(q.avail_) % 2 != 0 ||
      reinterpret_cast<uintptr_t>(q.used_) % 4 != 0) {
    return absl::InvalidArgumentError("vrings are misaligned in host memory");
  }
  q.size_ = size;
  q.event_idx_ = event_idx;
  q.next_avail_ = next_avail;
  // The used index continues where the driver last saw it.
  // SAFETY: the used ring's index is its second field, inside the area
  // checked above.
  q.next_used_ = q.published_used_ = q.notified_used_ = LoadRelaxed(q.used_ + kIdx);
  return q;
}

uint16_t SplitQueue::AvailCount() {
  if (broken_) return 0;
  // SAFETY: the avail index is the ring's second field, inside the area
  // checked at Create.
  const uint16_t count = static_cast<uint16_t>(LoadAcquire(avail_ + kIdx) - next_avail_);
  if (count > size_) {
    broken_ = true;
    return 0;
  }
  return count;
}

uint16_t SplitQueue::PopAvail() {
  // SAFETY: the ring has size_ entries, checked at Create; the index is masked.
  const uint16_t head = LoadRelaxed(avail_ + kAvailRing + (next_avail_ & (size_ - 1)));
  ++next_avail_;
  return head;
}

void SplitQueue::PushUsed(uint32_t head, uint32_t len) {
  // SAFETY: used ring entries start 4 bytes in, size_ of them, checked at
  // Create; the index is masked.
  auto* ring = reinterpret_cast<VringUsedElem*>(used_ + 2);
  VringUsedElem& e = ring[next_used_ & (size_ - 1)];
  e.id = head;
  e.len = len;
  ++next_used_;
}

void SplitQueue::PublishUsed() {
  if (published_used_ == next_used_) return;
  // SAFETY: the used index, inside the area checked at Create.
  __atomic_store_n(used_ + kIdx, next_used_, __ATOMIC_RELEASE);
  published_used_ = next_used_;
}

bool SplitQueue::NeedsNotify() {
  // The driver's suppression state must be read after our used index is
  // visible, or we may miss its request to be notified.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  const uint16_t old_used = notified_used_;
  notified_used_ = published_used_;
  if (old_used == published_used_) return false;
  if (event_idx_) {
    // SAFETY: used_event follows the avail ring's size_ entries; Create
    // checked the area with this trailer.
    const uint16_t used_event = LoadRelaxed(avail_ + kAvailRing + size_);
    return NeedEvent(used_event, published_used_, old_used);
  }
  // SAFETY: the avail ring's first field, inside the area checked at Create.
  return !(LoadRelaxed(avail_ + kFlags) & kVringAvailFNoInterrupt);
}

void SplitQueue::EnableKicks() {
  if (event_idx_) {
    // SAFETY: avail_event sits after the used ring's size_ entries (8 bytes,
    // 4 uint16_t each); Create checked the area with this trailer.
    StoreRelaxed(used_ + 2 + 4 * size_, next_avail_);
  } else {
    // SAFETY: the used ring's first field, inside the area checked at Create.
    StoreRelaxed(used_ + kFlags, LoadRelaxed(used_ + kFlags) & ~kVringUsedFNoNotify);
  }
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void SplitQueue::DisableKicks() {
  if (!event_idx_) {
    // SAFETY: the used ring's first field, inside the area checked at Create.
    StoreRelaxed(used_ + kFlags, LoadRelaxed(used_ + kFlags) | kVringUsedFNoNotify);
  }
}

}  // namespace zcswitch
