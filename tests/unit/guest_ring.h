// The driver's side of one split vring, for tests of the data path
// (lib/vhost/virtio_net.h): guest memory in a memfd, a descriptor table,
// avail and used rings laid out in it as a virtio driver lays them out, ways
// to post buffers (direct, chained or through an indirect table) and to read
// back what the device returned, and the LiveVring that DequeueBurst and
// EnqueueBurst run on, with its own counters and call eventfd.
#ifndef ZCSWITCH_TESTS_UNIT_GUEST_RING_H_
#define ZCSWITCH_TESTS_UNIT_GUEST_RING_H_

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/split_queue.h"
#include "lib/vhost/virtio_net.h"
#include "lib/vhost/virtq_layout.h"

namespace zcswitch {

class GuestRing {
 public:
  // One region: guest-physical [kGpaBase, kGpaBase + kMemBytes). Neither
  // address starts at 0, so a mix-up of the two address spaces shows.
  static constexpr uint64_t kGpaBase = 0x100000;
  static constexpr uint64_t kUvaBase = 0x7f0000000000;
  static constexpr uint64_t kMemBytes = 4 << 20;
  static constexpr uint16_t kMaxSize = 256;
  // The rings sit at the start of the region, buffers after them.
  static constexpr uint64_t kDescOffset = 0;
  static constexpr uint64_t kAvailOffset = 0x1000;
  static constexpr uint64_t kUsedOffset = 0x2000;
  static constexpr uint64_t kBuffersOffset = 0x10000;

  // A ring of `size` entries (a power of two, at most kMaxSize).
  explicit GuestRing(uint16_t size, bool event_idx = false) : size_(size) {
    const int fd = memfd_create("zc-guest-ring", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, kMemBytes) != 0 || size > kMaxSize) std::abort();
    const MemoryRegionDesc region[] = {{kGpaBase, kMemBytes, kUvaBase, 0}};
    const int fds[] = {fd};
    auto memory = GuestMemory::Map(region, fds);
    if (!memory.ok()) std::abort();
    memory_ = *memory;
    auto queue = SplitQueue::Create(
        *memory_,
        {kUvaBase + kDescOffset, kUvaBase + kAvailOffset, kUvaBase + kUsedOffset}, size, 0,
        event_idx);
    if (!queue.ok()) std::abort();
    call_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    live_.memory = memory_;
    live_.queue = *queue;
    live_.call_fd = call_fd_;
    live_.counters = &counters_;
  }
  ~GuestRing() { close(call_fd_); }
  GuestRing(const GuestRing&) = delete;
  GuestRing& operator=(const GuestRing&) = delete;

  LiveVring& live() { return live_; }
  const VringCounters& counters() const { return counters_; }
  uint16_t size() const { return size_; }

  // Host address of guest-physical `gpa`.
  uint8_t* Hva(uint64_t gpa, uint64_t len = 1) const { return memory_->GpaToHva(gpa, len); }

  // `len` fresh bytes of guest memory (16-aligned, zeroed), for buffers and
  // indirect tables.
  uint64_t Alloc(uint32_t len) {
    const uint64_t gpa = kGpaBase + next_buffer_;
    next_buffer_ += (len + 15) / 16 * 16;
    if (next_buffer_ > kMemBytes) std::abort();
    if (len != 0) std::memset(Hva(gpa, len), 0, len);
    return gpa;
  }

  // Descriptor `i` of the queue's table, for writing a chain by hand.
  VringDesc& desc(uint16_t i) {
    return reinterpret_cast<VringDesc*>(Hva(kGpaBase + kDescOffset))[i];
  }
  // The next descriptor index, in turn: a test posts no more descriptors
  // at once than the table has, and reuses them once they are used.
  uint16_t NewDesc() { return next_desc_++ & (size_ - 1); }

  // Makes `head` available: the avail ring's next entry, then its index.
  void Offer(uint16_t head) {
    uint16_t* avail = AvailRing();
    avail[2 + (avail[1] & (size_ - 1))] = head;
    __atomic_store_n(&avail[1], static_cast<uint16_t>(avail[1] + 1), __ATOMIC_RELEASE);
  }

  // Posts `bytes` (a virtio-net header and a frame) for the device to read,
  // in buffers of the lengths in `split` (the last one takes the rest), as a
  // chain in the queue's table or, with `indirect`, in an indirect table.
  // Returns the head.
  uint16_t PostTx(absl::Span<const uint8_t> bytes, std::vector<uint32_t> split = {},
                  bool indirect = false) {
    std::vector<VringDesc> chain;
    size_t at = 0;
    for (size_t i = 0; i <= split.size(); ++i) {
      const uint32_t len =
          i < split.size() ? split[i] : static_cast<uint32_t>(bytes.size() - at);
      const uint64_t gpa = Alloc(len);
      if (len != 0) std::memcpy(Hva(gpa, len), bytes.data() + at, len);
      at += len;
      chain.push_back({gpa, len, 0, 0});
    }
    return Post(chain, indirect);
  }

  // Posts device-writable buffers of `lens` bytes as one chain; returns the
  // head.
  uint16_t PostRx(std::vector<uint32_t> lens, bool indirect = false) {
    std::vector<VringDesc> chain;
    for (const uint32_t len : lens) chain.push_back({Alloc(len), len, kVringDescFWrite, 0});
    return Post(chain, indirect);
  }

  // The first `len` bytes of the buffers of the chain posted at `head`.
  std::vector<uint8_t> Read(uint16_t head, uint32_t len) const {
    std::vector<uint8_t> out;
    for (const VringDesc& d : posted_.at(head)) {
      const uint32_t n = std::min<uint32_t>(d.len, len - out.size());
      if (n != 0) out.insert(out.end(), Hva(d.addr, n), Hva(d.addr, n) + n);
    }
    return out;
  }

  // What the device has published.
  uint16_t used_idx() const { return __atomic_load_n(&UsedRing()[1], __ATOMIC_ACQUIRE); }
  VringUsedElem used(uint16_t i) const {
    return reinterpret_cast<const VringUsedElem*>(UsedRing() + 2)[i & (size_ - 1)];
  }

  // The driver's notification suppression: VRING_AVAIL_F_NO_INTERRUPT, and
  // with EVENT_IDX the used index it wants to be told about.
  void set_avail_flags(uint16_t flags) { AvailRing()[0] = flags; }
  void set_used_event(uint16_t event) { AvailRing()[2 + size_] = event; }

  // Notifications received on the call eventfd since the last look.
  uint64_t TakeCalls() {
    eventfd_t n = 0;
    return eventfd_read(call_fd_, &n) == 0 ? n : 0;
  }

 private:
  // Puts `chain` (next fields and NEXT flags are filled in here) into the
  // queue's table, or into an indirect table the ring's one descriptor
  // points at, and offers it.
  uint16_t Post(std::vector<VringDesc> chain, bool indirect) {
    uint16_t head;
    if (indirect) {
      const uint64_t table = Alloc(static_cast<uint32_t>(chain.size() * sizeof(VringDesc)));
      auto* entries = reinterpret_cast<VringDesc*>(Hva(table, chain.size() * sizeof(VringDesc)));
      for (size_t i = 0; i < chain.size(); ++i) {
        entries[i] = chain[i];
        if (i + 1 < chain.size()) {
          entries[i].flags |= kVringDescFNext;
          entries[i].next = static_cast<uint16_t>(i + 1);
        }
      }
      head = NewDesc();
      desc(head) = {table, static_cast<uint32_t>(chain.size() * sizeof(VringDesc)),
                    kVringDescFIndirect, 0};
    } else {
      std::vector<uint16_t> ids;
      for (size_t i = 0; i < chain.size(); ++i) ids.push_back(NewDesc());
      for (size_t i = 0; i < chain.size(); ++i) {
        VringDesc d = chain[i];
        if (i + 1 < chain.size()) {
          d.flags |= kVringDescFNext;
          d.next = ids[i + 1];
        }
        desc(ids[i]) = d;
      }
      head = ids[0];
    }
    posted_[head] = chain;
    Offer(head);
    return head;
  }

  uint16_t* AvailRing() const {
    return reinterpret_cast<uint16_t*>(Hva(kGpaBase + kAvailOffset));
  }
  uint16_t* UsedRing() const { return reinterpret_cast<uint16_t*>(Hva(kGpaBase + kUsedOffset)); }

  const uint16_t size_;
  std::shared_ptr<const GuestMemory> memory_;
  int call_fd_ = -1;
  VringCounters counters_;
  LiveVring live_;
  uint16_t next_desc_ = 0;
  uint64_t next_buffer_ = kBuffersOffset;
  std::map<uint16_t, std::vector<VringDesc>> posted_;  // by head: the buffers
};

}  // namespace zcswitch

#endif  // ZCSWITCH_TESTS_UNIT_GUEST_RING_H_
