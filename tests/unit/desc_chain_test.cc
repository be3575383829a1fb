// The descriptor walker on hand-built rings in real shared memory, including
// every kind of bad chain that invariant 3 (docs/architecture.md) names.
#include "lib/vhost/desc_chain.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace zcswitch {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kHighGpa = 4ull << 30;  // region 1, after a hole
constexpr uint16_t kQueueSize = 256;
constexpr uint64_t kTableGpa = 0x1000;     // the queue's descriptor table
constexpr uint64_t kIndirectGpa = 0x9000;  // room for indirect tables

// Guest memory of two regions, [0, 1 MiB) and [4 GiB, 4 GiB + 1 MiB), with a
// descriptor table in the first.
class DescChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int fd = memfd_create("zc-desc-chain", MFD_CLOEXEC);
    ASSERT_EQ(ftruncate(fd, 2 * kMiB), 0);
    const MemoryRegionDesc regions[] = {{0, kMiB, 0x10000000, 0},
                                        {kHighGpa, kMiB, 0x20000000, kMiB}};
    const int fds[] = {fd, dup(fd)};
    auto m = GuestMemory::Map(regions, fds);
    ASSERT_TRUE(m.ok()) << m.status();
    memory_ = *m;
    table_ = reinterpret_cast<VringDesc*>(memory_->GpaToHva(kTableGpa, DescTableBytes(kQueueSize)));
  }

  ChainError Walk(uint16_t head, ChainDirection dir = ChainDirection::kDeviceReads) {
    return WalkChain(*memory_, table_, kQueueSize, head, dir, chain_);
  }
  VringDesc* Indirect() {
    return reinterpret_cast<VringDesc*>(memory_->GpaToHva(kIndirectGpa, 16 * 16));
  }

  std::shared_ptr<const GuestMemory> memory_;
  VringDesc* table_ = nullptr;
  Chain chain_;
};

TEST_F(DescChainTest, SingleDescriptor) {
  table_[3] = {0x20000, 1500, 0, 0};
  ASSERT_EQ(Walk(3), ChainError::kNone);
  EXPECT_EQ(chain_.head, 3);
  EXPECT_EQ(chain_.num_segments, 1);
  EXPECT_EQ(chain_.total_len, 1500u);
  EXPECT_EQ(chain_.segments[0].data, memory_->GpaToHva(0x20000, 1500));
  EXPECT_EQ(chain_.segments[0].len, 1500u);
}

TEST_F(DescChainTest, ChainedDescriptorsInOrder) {
  table_[0] = {0x20000, 12, kVringDescFNext, 7};
  table_[7] = {kHighGpa + 0x100, 1000, kVringDescFNext, 2};
  table_[2] = {0x30000, 500, 0, 0};
  ASSERT_EQ(Walk(0), ChainError::kNone);
  ASSERT_EQ(chain_.num_segments, 3);
  EXPECT_EQ(chain_.segments[1].data, memory_->GpaToHva(kHighGpa + 0x100, 1));
  EXPECT_EQ(chain_.total_len, 1512u);
}

TEST_F(DescChainTest, ReceiveChainsAreWritable) {
  table_[0] = {0x20000, 2048, kVringDescFWrite | kVringDescFNext, 1};
  table_[1] = {0x30000, 2048, kVringDescFWrite, 0};
  EXPECT_EQ(Walk(0, ChainDirection::kDeviceWrites), ChainError::kNone);
  EXPECT_EQ(chain_.total_len, 4096u);
  EXPECT_EQ(Walk(0, ChainDirection::kDeviceReads), ChainError::kWrongDirection);
}

TEST_F(DescChainTest, WrongDirectionAnywhereInTheChain) {
  table_[0] = {0x20000, 100, kVringDescFNext, 1};
  table_[1] = {0x30000, 100, kVringDescFWrite, 0};
  EXPECT_EQ(Walk(0), ChainError::kWrongDirection);
  EXPECT_EQ(Walk(0, ChainDirection::kDeviceWrites), ChainError::kWrongDirection);
}

TEST_F(DescChainTest, BufferSpanningTwoRegionsBecomesTwoSegments) {
  // Make the regions adjacent in guest-physical space: a new table.
  const int fd = memfd_create("zc-desc-adjacent", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(fd, 3 * kMiB), 0);
  // Region 1 is backed by the file from 2 MiB: not contiguous with region 0.
  const MemoryRegionDesc regions[] = {{0, kMiB, 0x10000000, 0}, {kMiB, kMiB, 0x20000000, 2 * kMiB}};
  const int fds[] = {fd, dup(fd)};
  auto m = GuestMemory::Map(regions, fds);
  ASSERT_TRUE(m.ok());
  auto* table = reinterpret_cast<VringDesc*>((*m)->GpaToHva(kTableGpa, 16));
  table[0] = {kMiB - 100, 300, 0, 0};
  ASSERT_EQ(WalkChain(**m, table, 1, 0, ChainDirection::kDeviceReads, chain_), ChainError::kNone);
  ASSERT_EQ(chain_.num_segments, 2);
  EXPECT_EQ(chain_.segments[0].len, 100u);
  EXPECT_EQ(chain_.segments[1].len, 200u);
  EXPECT_EQ(chain_.segments[1].data, (*m)->GpaToHva(kMiB, 200));
  EXPECT_EQ(chain_.total_len, 300u);
}

TEST_F(DescChainTest, ZeroLengthDescriptorsAddNothing) {
  table_[0] = {0xdead0000deadull, 0, kVringDescFNext, 1};  // address unused
  table_[1] = {0x20000, 64, 0, 0};
  ASSERT_EQ(Walk(0), ChainError::kNone);
  EXPECT_EQ(chain_.num_segments, 1);
}

TEST_F(DescChainTest, HeadOutOfRange) { EXPECT_EQ(Walk(kQueueSize), ChainError::kHeadOutOfRange); }

TEST_F(DescChainTest, NextOutOfRange) {
  table_[0] = {0x20000, 10, kVringDescFNext, kQueueSize};
  EXPECT_EQ(Walk(0), ChainError::kNextOutOfRange);
}

TEST_F(DescChainTest, LoopsAreCaught) {
  table_[0] = {0x20000, 10, kVringDescFNext, 1};
  table_[1] = {0x20000, 10, kVringDescFNext, 0};
  EXPECT_EQ(Walk(0), ChainError::kTooLong);
  table_[5] = {0x20000, 10, kVringDescFNext, 5};
  EXPECT_EQ(Walk(5), ChainError::kTooLong);
}

TEST_F(DescChainTest, ChainAsLongAsTheQueueIsAllowedOneMoreIsNot) {
  constexpr uint16_t kSize = 8;
  for (uint16_t i = 0; i < kSize; ++i) {
    table_[i] = {0x20000 + i * 64ull, 64,
                 static_cast<uint16_t>(i + 1 < kSize ? kVringDescFNext : 0),
                 static_cast<uint16_t>(i + 1)};
  }
  EXPECT_EQ(WalkChain(*memory_, table_, kSize, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kNone);
  EXPECT_EQ(chain_.num_segments, kSize);
  table_[kSize - 1] = {0x20000, 64, kVringDescFNext, 0};  // back to the start
  EXPECT_EQ(WalkChain(*memory_, table_, kSize, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kTooLong);
}

TEST_F(DescChainTest, BuffersOutsideMemory) {
  table_[0] = {kMiB, 10, 0, 0};  // the hole
  EXPECT_EQ(Walk(0), ChainError::kOutsideMemory);
  table_[0] = {kMiB - 5, 10, 0, 0};  // runs into the hole
  EXPECT_EQ(Walk(0), ChainError::kOutsideMemory);
  table_[0] = {kHighGpa + kMiB - 5, 10, 0, 0};  // runs off the end
  EXPECT_EQ(Walk(0), ChainError::kOutsideMemory);
  table_[0] = {~0ull - 4, 10, 0, 0};  // would wrap around
  EXPECT_EQ(Walk(0), ChainError::kOutsideMemory);
}

TEST_F(DescChainTest, IndirectTable) {
  VringDesc* ind = Indirect();
  ind[0] = {0x20000, 12, kVringDescFNext, 2};
  ind[2] = {0x21000, 1400, 0, 0};
  table_[9] = {kIndirectGpa, 3 * 16, kVringDescFIndirect, 0};
  ASSERT_EQ(Walk(9), ChainError::kNone);
  EXPECT_EQ(chain_.head, 9);
  ASSERT_EQ(chain_.num_segments, 2);
  EXPECT_EQ(chain_.segments[1].data, memory_->GpaToHva(0x21000, 1));
  EXPECT_EQ(chain_.total_len, 1412u);
}

TEST_F(DescChainTest, IndirectTableRules) {
  VringDesc* ind = Indirect();
  ind[0] = {kIndirectGpa + 256, 16, kVringDescFIndirect, 0};
  table_[0] = {kIndirectGpa, 16, kVringDescFIndirect, 0};
  EXPECT_EQ(Walk(0), ChainError::kNestedIndirect);

  table_[0] = {kIndirectGpa, 16, kVringDescFIndirect | kVringDescFNext, 1};
  EXPECT_EQ(Walk(0), ChainError::kIndirectWithNext);

  for (uint32_t len : {0u, 15u, 17u}) {
    table_[0] = {kIndirectGpa, len, kVringDescFIndirect, 0};
    EXPECT_EQ(Walk(0), ChainError::kBadIndirectLength) << len;
  }
  table_[0] = {kMiB - 16, 32, kVringDescFIndirect, 0};  // table runs into the hole
  EXPECT_EQ(Walk(0), ChainError::kOutsideMemory);

  ind[0] = {0x20000, 10, kVringDescFNext, 1};
  ind[1] = {0x20000, 10, kVringDescFNext, 0};
  table_[0] = {kIndirectGpa, 2 * 16, kVringDescFIndirect, 0};
  EXPECT_EQ(Walk(0), ChainError::kTooLong);

  ind[1] = {0x20000, 10, kVringDescFNext, 2};  // past the 2-entry table
  EXPECT_EQ(Walk(0), ChainError::kNextOutOfRange);
}

TEST_F(DescChainTest, TooManySegments) {
  // 256 descriptors each crossing from region 0's last byte... simpler: a
  // chain of 200 descriptors, each split in two by a region boundary, is 400
  // segments.
  const int fd = memfd_create("zc-desc-many", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(fd, 3 * kMiB), 0);
  const MemoryRegionDesc regions[] = {{0, kMiB, 0x10000000, 0}, {kMiB, kMiB, 0x20000000, 2 * kMiB}};
  const int fds[] = {fd, dup(fd)};
  auto m = GuestMemory::Map(regions, fds);
  ASSERT_TRUE(m.ok());
  auto* table = reinterpret_cast<VringDesc*>((*m)->GpaToHva(kTableGpa, 16 * 200));
  for (uint16_t i = 0; i < 200; ++i) {
    table[i] = {kMiB - 1, 2, static_cast<uint16_t>(i + 1 < 200 ? kVringDescFNext : 0),
                static_cast<uint16_t>(i + 1)};
  }
  EXPECT_EQ(WalkChain(**m, table, 256, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kTooManySegments);
}

TEST_F(DescChainTest, TransmitChainsHaveAPacketSizeLimit) {
  table_[0] = {0x20000, Chain::kMaxBytes, kVringDescFNext, 1};
  table_[1] = {0x20000, 1, 0, 0};
  EXPECT_EQ(Walk(0), ChainError::kTooLarge);
  table_[1] = {0x20000, 0, 0, 0};
  EXPECT_EQ(Walk(0), ChainError::kNone);
  // Receive buffers may be larger: the guest offers room, not a packet.
  table_[0] = {0x20000, Chain::kMaxBytes, kVringDescFWrite | kVringDescFNext, 1};
  table_[1] = {0x20000, 4096, kVringDescFWrite, 0};
  EXPECT_EQ(Walk(0, ChainDirection::kDeviceWrites), ChainError::kNone);
}

TEST_F(DescChainTest, EmptyDescriptorsCountTowardsTheCap) {
  // 300 empty descriptors and one with data: a walk this long is refused
  // however little it carries.
  for (uint16_t i = 0; i < 300; ++i)
    table_[i] = {0x20000, 0, kVringDescFNext, static_cast<uint16_t>(i + 1)};
  table_[300] = {0x20000, 64, 0, 0};
  auto* big = reinterpret_cast<VringDesc*>(memory_->GpaToHva(kTableGpa, DescTableBytes(512)));
  EXPECT_EQ(WalkChain(*memory_, big, 512, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kTooLong);
  EXPECT_EQ(WalkChain(*memory_, big, 512, 300 - Chain::kMaxDescriptors + 1,
                      ChainDirection::kDeviceReads, chain_),
            ChainError::kNone);
}

TEST_F(DescChainTest, IndirectTableNoLongerThanTheQueue) {
  VringDesc* ind = Indirect();
  for (uint16_t i = 0; i < 9; ++i)
    ind[i] = {0x20000, 8, kVringDescFNext, static_cast<uint16_t>(i + 1)};
  ind[8].flags = 0;
  table_[0] = {kIndirectGpa, 9 * 16, kVringDescFIndirect, 0};
  EXPECT_EQ(WalkChain(*memory_, table_, 8, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kBadIndirectLength);
  EXPECT_EQ(WalkChain(*memory_, table_, 16, 0, ChainDirection::kDeviceReads, chain_),
            ChainError::kNone);
}

TEST(ChainErrorTest, NamesAreDistinct) {
  EXPECT_EQ(ChainErrorName(ChainError::kNone), "ok");
  EXPECT_EQ(ChainErrorName(ChainError::kTooLong), "chain_too_long");
  for (size_t i = 0; i <= kNumChainErrors; ++i) {
    for (size_t j = i + 1; j <= kNumChainErrors; ++j) {
      EXPECT_NE(ChainErrorName(static_cast<ChainError>(i)),
                ChainErrorName(static_cast<ChainError>(j)));
    }
  }
}

}  // namespace
}  // namespace zcswitch
