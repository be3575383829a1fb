#include "lib/vhost/guest_memory.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

// a + b, or false on overflow.
bool Add(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_add_overflow(a, b, &out); }

// Whether [start, start + len) and [other, other + other_len) intersect; both
// ends are known not to overflow.
bool Overlaps(uint64_t start, uint64_t len, uint64_t other, uint64_t other_len) {
  return start < other + other_len && other < start + len;
}

// Offset of `addr` in [base, base + size) if [addr, addr + len) fits, else -1.
int64_t OffsetIn(uint64_t base, uint64_t size, uint64_t addr, uint64_t len) {
  if (addr < base || len == 0) return -1;
  const uint64_t off = addr - base;
  if (off >= size || len > size - off) return -1;
  return static_cast<int64_t>(off);
}

absl::Status CheckRegions(absl::Span<const MemoryRegionDesc> regions) {
  if (regions.empty() || regions.size() > GuestMemory::kMaxRegions) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory table has %d regions; 1 to %d allowed", regions.size(), GuestMemory::kMaxRegions));
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegionDesc& r = regions[i];
    uint64_t end;
    if (r.memory_size == 0) {
      return absl::InvalidArgumentError(absl::StrFormat("region %d is empty", i));
    }
    if (!Add(r.guest_phys_addr, r.memory_size, end) || !Add(r.userspace_addr, r.memory_size, end) ||
        !Add(r.mmap_offset, r.memory_size, end)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("region %d: address + size overflows 64 bits", i));
    }
    for (size_t j = 0; j < i; ++j) {
      const MemoryRegionDesc& o = regions[j];
      if (Overlaps(r.guest_phys_addr, r.memory_size, o.guest_phys_addr, o.memory_size)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("regions %d and %d overlap in guest-physical space", j, i));
      }
      if (Overlaps(r.userspace_addr, r.memory_size, o.userspace_addr, o.memory_size)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("regions %d and %d overlap in frontend-virtual space", j, i));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const GuestMemory>> GuestMemory::Map(
    absl::Span<const MemoryRegionDesc> regions, absl::Span<const int> fds, GuestDma* dma) {
  struct FdCloser {
    absl::Span<const int> fds;
    ~FdCloser() {
      for (int fd : fds) close(fd);
    }
  } closer{fds};
  if (fds.size() != regions.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory table has %d regions but came with %d fds", regions.size(), fds.size()));
  }
  if (absl::Status s = CheckRegions(regions); !s.ok()) return s;

  std::shared_ptr<GuestMemory> memory(new GuestMemory());
  memory->dma_ = dma;
  for (size_t i = 0; i < regions.size(); ++i) {
    const MemoryRegionDesc& r = regions[i];
    struct stat st;
    if (fstat(fds[i], &st) != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("region %d: fstat of its fd: %s", i, std::strerror(errno)));
    }
    const uint64_t needed = r.mmap_offset + r.memory_size;  // checked in CheckRegions
    if (static_cast<uint64_t>(st.st_size) < needed) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "region %d: needs %d bytes of its file, which has %d", i, needed, st.st_size));
    }
    // Only the region's own pages are mapped, from its offset rounded down
    // to a page (hugetlbfs maps whole pages; st_blksize is its page size).
    const uint64_t page = st.st_blksize > 0 ? static_cast<uint64_t>(st.st_blksize) : 4096;
    const uint64_t map_offset = r.mmap_offset / page * page;
    const uint64_t lead = r.mmap_offset - map_offset;
    const uint64_t map_len = (lead + r.memory_size + page - 1) / page * page;
    void* base = mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i],
                      static_cast<off_t>(map_offset));
    if (base == MAP_FAILED) {
      return absl::ResourceExhaustedError(
          absl::StrFormat("region %d: mmap of %d bytes: %s", i, map_len, std::strerror(errno)));
    }
    Region region;
    region.desc = r;
    region.map_base = base;
    region.map_len = map_len;
    // SAFETY: the mapping starts `lead` bytes before the region's offset in
    // the file and covers lead + memory_size bytes (rounded up to pages), all
    // inside the file (checked against st_size above).
    region.host = static_cast<uint8_t*>(base) + lead;
    memory->regions_.push_back(region);
    if (dma != nullptr) {
      if (absl::Status s = dma->Map(region.host, r.memory_size, page); !s.ok()) {
        return absl::Status(s.code(), absl::StrFormat("region %d: DMA mapping: %s", i, s.message()));
      }
      memory->regions_.back().dma_mapped = true;
    }
  }
  return std::shared_ptr<const GuestMemory>(std::move(memory));
}

GuestMemory::~GuestMemory() {
  for (const Region& r : regions_) {
    // No device may reach memory that is about to be unmapped.
    if (r.dma_mapped) dma_->Unmap(r.host, r.desc.memory_size);
    munmap(r.map_base, r.map_len);
  }
}

uint8_t* GuestMemory::GpaToHva(uint64_t gpa, uint64_t len) const {
  for (const Region& r : regions_) {
    const int64_t off = OffsetIn(r.desc.guest_phys_addr, r.desc.memory_size, gpa, len);
    // SAFETY: OffsetIn checked [off, off + len) lies within the region's
    // memory_size bytes, all mapped from r.host.
    if (off >= 0) return r.host + off;
  }
  return nullptr;
}

HostRange GuestMemory::GpaPiece(uint64_t gpa, uint64_t len) const {
  for (const Region& r : regions_) {
    const int64_t off = OffsetIn(r.desc.guest_phys_addr, r.desc.memory_size, gpa, 1);
    if (off < 0) continue;
    const uint64_t left = r.desc.memory_size - static_cast<uint64_t>(off);
    // SAFETY: off < memory_size (OffsetIn with length 1), and the piece is
    // cut to the `left` bytes the region has from there, all mapped.
    return {r.host + off, len < left ? len : left};
  }
  return {nullptr, 0};
}

uint8_t* GuestMemory::UvaToHva(uint64_t uva, uint64_t len) const {
  for (const Region& r : regions_) {
    const int64_t off = OffsetIn(r.desc.userspace_addr, r.desc.memory_size, uva, len);
    // SAFETY: OffsetIn checked [off, off + len) lies within the region's
    // memory_size bytes, all mapped from r.host.
    if (off >= 0) return r.host + off;
  }
  return nullptr;
}

}  // namespace zcswitch
