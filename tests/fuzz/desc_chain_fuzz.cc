// libFuzzer target: WalkChain on descriptor tables and memory the guest
// controls entirely. Whatever the bytes, the walk ends, reports a ChainError
// or a chain whose every segment lies inside guest memory, and never reads
// outside it (AddressSanitizer watches).
//
// Input: [queue size: 2][head: 2][direction: 1][guest memory contents...].
// Guest memory is 64 KiB in two regions with a hole between them:
// [0, 32 KiB) and [64 KiB, 96 KiB). The descriptor table sits at address 0.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "lib/vhost/desc_chain.h"

namespace zcswitch {
namespace {

constexpr uint64_t kRegionBytes = 32 << 10;

const GuestMemory& Memory() {
  static const std::shared_ptr<const GuestMemory> memory = [] {
    const int fd = memfd_create("zc-fuzz", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 2 * kRegionBytes) != 0) abort();
    const MemoryRegionDesc regions[] = {{0, kRegionBytes, 0x100000, 0},
                                        {2 * kRegionBytes, kRegionBytes, 0x200000, kRegionBytes}};
    const int fds[] = {fd, dup(fd)};
    auto m = GuestMemory::Map(regions, fds);
    if (!m.ok()) abort();
    return *m;
  }();
  return *memory;
}

bool InsideMemory(const uint8_t* p, uint32_t len) {
  const GuestMemory& m = Memory();
  for (const uint64_t base : {uint64_t{0}, 2 * kRegionBytes}) {
    const uint8_t* start = m.GpaToHva(base, kRegionBytes);
    if (p >= start && p + len <= start + kRegionBytes) return true;
  }
  return false;
}

}  // namespace
}  // namespace zcswitch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcswitch;
  if (size < 5) return 0;
  uint16_t queue_size, head;
  std::memcpy(&queue_size, data, 2);
  std::memcpy(&head, data + 2, 2);
  const auto direction =
      (data[4] & 1) ? ChainDirection::kDeviceWrites : ChainDirection::kDeviceReads;
  // The table must fit in region 0, as the queue set-up guarantees.
  queue_size = static_cast<uint16_t>(1 + queue_size % (kRegionBytes / sizeof(VringDesc)));

  const GuestMemory& memory = Memory();
  uint8_t* region0 = memory.GpaToHva(0, kRegionBytes);
  uint8_t* region1 = memory.GpaToHva(2 * kRegionBytes, kRegionBytes);
  const size_t body = size - 5;
  std::memset(region0, 0, kRegionBytes);
  std::memset(region1, 0, kRegionBytes);
  std::memcpy(region0, data + 5, body < kRegionBytes ? body : kRegionBytes);
  if (body > kRegionBytes) {
    const size_t rest = body - kRegionBytes;
    std::memcpy(region1, data + 5 + kRegionBytes, rest < kRegionBytes ? rest : kRegionBytes);
  }

  static Chain chain;
  const auto* table = reinterpret_cast<const VringDesc*>(region0);
  if (WalkChain(memory, table, queue_size, head, direction, chain) == ChainError::kNone) {
    uint64_t total = 0;
    for (uint16_t i = 0; i < chain.num_segments; ++i) {
      if (!InsideMemory(chain.segments[i].data, chain.segments[i].len)) abort();
      total += chain.segments[i].len;
    }
    if (total != chain.total_len && total < UINT32_MAX) abort();
  }
  return 0;
}
