// Guest memory as a vhost-user frontend shares it: the regions of one memory
// table (VHOST_USER_SET_MEM_TABLE), each an fd mapped into this process.
//
// A GuestMemory is immutable once mapped and is held by std::shared_ptr. Each
// queue, and later each in-flight zero-copy buffer's slot, keeps a reference,
// so a new memory table or a disconnect only drops the table's own reference:
// the mapping goes away when the last user does (docs/architecture.md, invariant 1).
//
// Every translation checks that the whole range lies inside one region, with
// overflow-checked arithmetic: a guest address can never reach outside what the
// frontend shared.
#ifndef ZCSWITCH_LIB_VHOST_GUEST_MEMORY_H_
#define ZCSWITCH_LIB_VHOST_GUEST_MEMORY_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/zcopy/guest_dma.h"

namespace zcswitch {

// One region as the frontend describes it on the wire.
struct MemoryRegionDesc {
  uint64_t guest_phys_addr;
  uint64_t memory_size;
  uint64_t userspace_addr;  // the frontend's virtual address of the region
  uint64_t mmap_offset;     // where the region starts in its fd
};

// A host pointer and how many bytes from it are contiguous in host memory.
struct HostRange {
  uint8_t* data;
  uint64_t len;
};

class GuestMemory {
 public:
  // At most this many regions (VHOST_MEMORY_BASELINE_NREGIONS).
  static constexpr size_t kMaxRegions = 8;

  // Maps `regions`, region i from fds[i]. The fds are always closed, mapped
  // or not: a mapping does not need its fd. Regions must be non-empty, must not
  // overlap in guest-physical or frontend-virtual space, and must fit their
  // files. With `dma`, each region is registered for device DMA as well
  // (zero-copy to a NIC), and unregistered before it is unmapped.
  static absl::StatusOr<std::shared_ptr<const GuestMemory>> Map(
      absl::Span<const MemoryRegionDesc> regions, absl::Span<const int> fds,
      GuestDma* dma = nullptr);

  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  // Host address of guest-physical [gpa, gpa + len), or nullptr unless the
  // whole range lies in one region. len 0 is refused too.
  uint8_t* GpaToHva(uint64_t gpa, uint64_t len) const;

  // The region-contiguous piece starting at `gpa`: at most `len` bytes, fewer
  // where the region ends. {nullptr, 0} when `gpa` is in no region. Walks
  // buffers that span regions one piece at a time.
  HostRange GpaPiece(uint64_t gpa, uint64_t len) const;

  // Host address of frontend-virtual [uva, uva + len) (vring addresses are
  // given this way), or nullptr unless the range lies in one region.
  uint8_t* UvaToHva(uint64_t uva, uint64_t len) const;

  size_t num_regions() const { return regions_.size(); }
  const MemoryRegionDesc& region(size_t i) const { return regions_[i].desc; }

 private:
  struct Region {
    MemoryRegionDesc desc;
    uint8_t* host = nullptr;   // start of the region's bytes
    void* map_base = nullptr;  // what mmap returned
    size_t map_len = 0;
    bool dma_mapped = false;
  };
  GuestMemory() = default;

  std::vector<Region> regions_;
  GuestDma* dma_ = nullptr;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_GUEST_MEMORY_H_
