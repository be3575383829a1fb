#include "lib/vhost/guest_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1 << 20;

// A memfd of `size` bytes named `name` (visible in /proc/self/maps).
int MakeMemfd(const std::string& name, uint64_t size) {
  const int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
  return fd;
}

bool Mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find("/memfd:" + name) != std::string::npos;
}

bool FdOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Two regions as QEMU lays out a guest with a hole: [0, 1 MiB) and
// [4 GiB, 4 GiB + 2 MiB), both from one memfd at offsets 0 and 1 MiB.
// The mapping, and a descriptor of the file behind it for looking into it.
struct Mapped2 {
  std::shared_ptr<const GuestMemory> memory;
  int file;
  ~Mapped2() { close(file); }
};

Mapped2 TwoRegions(const std::string& name) {
  const int fd = MakeMemfd(name, 3 * kMiB);
  const MemoryRegionDesc regions[] = {{0, kMiB, 0x7f0000000000, 0},
                                      {4ull << 30, 2 * kMiB, 0x7f0000100000, kMiB}};
  const int file = dup(fd);
  const int fds[] = {fd, dup(fd)};
  auto m = GuestMemory::Map(regions, fds);
  EXPECT_TRUE(m.ok()) << m.status();
  return {m.ok() ? *m : nullptr, file};
}

TEST(GuestMemoryTest, TranslatesInsideRegionsOnly) {
  Mapped2 mapped = TwoRegions("zc-gm-translate");
  const std::shared_ptr<const GuestMemory>& m = mapped.memory;
  ASSERT_NE(m, nullptr);
  uint8_t* r0 = m->GpaToHva(0, kMiB);
  uint8_t* r1 = m->GpaToHva(4ull << 30, 2 * kMiB);
  ASSERT_NE(r0, nullptr);
  ASSERT_NE(r1, nullptr);
  // Region 1's bytes are the file's from its mmap_offset, 1 MiB, on.
  r1[7] = 0x5a;
  uint8_t byte = 0;
  ASSERT_EQ(pread(mapped.file, &byte, 1, kMiB + 7), 1);
  EXPECT_EQ(byte, 0x5a);
  EXPECT_EQ(m->GpaToHva(100, 10), r0 + 100);
  EXPECT_EQ(m->GpaToHva(kMiB - 1, 1), r0 + kMiB - 1);
  EXPECT_EQ(m->GpaToHva(kMiB - 1, 2), nullptr);  // runs past region 0
  EXPECT_EQ(m->GpaToHva(kMiB, 1), nullptr);      // the hole
  EXPECT_EQ(m->GpaToHva(0, 0), nullptr);
  EXPECT_EQ(m->GpaToHva((4ull << 30) + 2 * kMiB, 1), nullptr);
  EXPECT_EQ(m->GpaToHva(~0ull, 2), nullptr);  // would wrap
  EXPECT_EQ(m->GpaToHva(5, ~0ull), nullptr);
  EXPECT_EQ(m->UvaToHva(0x7f0000100010, 16), r1 + 16);
  EXPECT_EQ(m->UvaToHva(0x7f0000000000 - 1, 2), nullptr);
  // Writes through one translation are seen through the other.
  r1[5] = 0xab;
  EXPECT_EQ(*m->UvaToHva(0x7f0000100005, 1), 0xab);
}

TEST(GuestMemoryTest, PiecesStopAtRegionEnds) {
  Mapped2 mapped = TwoRegions("zc-gm-pieces");
  const std::shared_ptr<const GuestMemory>& m = mapped.memory;
  ASSERT_NE(m, nullptr);
  HostRange p = m->GpaPiece(kMiB - 10, 100);
  EXPECT_EQ(p.data, m->GpaToHva(kMiB - 10, 10));
  EXPECT_EQ(p.len, 10u);
  p = m->GpaPiece(20, 100);
  EXPECT_EQ(p.len, 100u);
  p = m->GpaPiece(kMiB, 100);
  EXPECT_EQ(p.data, nullptr);
  EXPECT_EQ(p.len, 0u);
}

TEST(GuestMemoryTest, ClosesFdsAndUnmapsWithTheLastReference) {
  const int fd = MakeMemfd("zc-gm-lifetime", kMiB);
  const MemoryRegionDesc region[] = {{0, kMiB, 0x1000000, 0}};
  const int fds[] = {fd};
  auto m = GuestMemory::Map(region, fds);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(FdOpen(fd));
  EXPECT_TRUE(Mapped("zc-gm-lifetime"));
  std::shared_ptr<const GuestMemory> queue_ref = *m;  // e.g. a queue still running
  m = absl::InternalError("table replaced");          // the table's own reference goes
  EXPECT_TRUE(Mapped("zc-gm-lifetime"));
  queue_ref->GpaToHva(0, 1)[0] = 1;  // still usable
  queue_ref.reset();
  EXPECT_FALSE(Mapped("zc-gm-lifetime"));
}

std::string MapError(std::vector<MemoryRegionDesc> regions, int fd_count, uint64_t file_size) {
  std::vector<int> fds;
  for (int i = 0; i < fd_count; ++i) fds.push_back(MakeMemfd("zc-gm-bad", file_size));
  auto m = GuestMemory::Map(regions, fds);
  for (int fd : fds) EXPECT_FALSE(FdOpen(fd)) << "fd left open on error";
  EXPECT_FALSE(m.ok());
  return std::string(m.status().message());
}

TEST(GuestMemoryTest, RejectsBadTables) {
  EXPECT_THAT(MapError({}, 0, kMiB), HasSubstr("has 0 regions"));
  EXPECT_THAT(MapError({{0, kMiB, 0, 0}}, 2, kMiB), HasSubstr("came with 2 fds"));
  EXPECT_THAT(MapError(std::vector<MemoryRegionDesc>(9, {0, 1, 0, 0}), 9, kMiB),
              HasSubstr("has 9 regions"));
  EXPECT_THAT(MapError({{0, 0, 0, 0}}, 1, kMiB), HasSubstr("region 0 is empty"));
  EXPECT_THAT(MapError({{~0ull - 10, kMiB, 0, 0}}, 1, kMiB), HasSubstr("overflows"));
  EXPECT_THAT(MapError({{0, kMiB, ~0ull - 10, 0}}, 1, kMiB), HasSubstr("overflows"));
  EXPECT_THAT(MapError({{0, kMiB, 0, ~0ull - 10}}, 1, kMiB), HasSubstr("overflows"));
  EXPECT_THAT(MapError({{0, kMiB, 0, 0}, {kMiB / 2, kMiB, 8 * kMiB, 0}}, 2, 2 * kMiB),
              HasSubstr("overlap in guest-physical space"));
  EXPECT_THAT(MapError({{0, kMiB, 0, 0}, {4 * kMiB, kMiB, kMiB / 2, 0}}, 2, 2 * kMiB),
              HasSubstr("overlap in frontend-virtual space"));
  EXPECT_THAT(MapError({{0, 2 * kMiB, 0, 0}}, 1, kMiB), HasSubstr("needs 2097152 bytes"));
  EXPECT_THAT(MapError({{0, kMiB, 0, kMiB}}, 1, kMiB), HasSubstr("needs 2097152 bytes"));
}

}  // namespace
}  // namespace zcswitch
