// SplitQueue against rings laid out by hand in shared memory, as a driver
// would write them.
#include "lib/vhost/split_queue.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace zcswitch {
namespace {

constexpr uint64_t kUvaBase = 0x7f0000000000;
constexpr uint16_t kSize = 8;
// Where the driver put the rings (frontend virtual addresses).
constexpr SplitQueueAddrs kAddrs = {kUvaBase + 0x1000, kUvaBase + 0x2000, kUvaBase + 0x3000};

class SplitQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int fd = memfd_create("zc-split-queue", MFD_CLOEXEC);
    ASSERT_EQ(ftruncate(fd, 1 << 20), 0);
    const MemoryRegionDesc region[] = {{0, 1 << 20, kUvaBase, 0}};
    const int fds[] = {fd};
    auto m = GuestMemory::Map(region, fds);
    ASSERT_TRUE(m.ok()) << m.status();
    memory_ = *m;
    avail_ = reinterpret_cast<uint16_t*>(memory_->UvaToHva(kAddrs.avail_uva, 1));
    used_ = reinterpret_cast<uint16_t*>(memory_->UvaToHva(kAddrs.used_uva, 1));
  }

  SplitQueue Make(bool event_idx, uint16_t next_avail = 0) {
    auto q = SplitQueue::Create(*memory_, kAddrs, kSize, next_avail, event_idx);
    EXPECT_TRUE(q.ok()) << q.status();
    return *q;
  }
  // The driver offers `head`.
  void Offer(uint16_t head) {
    avail_[2 + (avail_[1] & (kSize - 1))] = head;
    ++avail_[1];
  }
  VringUsedElem UsedEntry(uint16_t i) {
    return reinterpret_cast<VringUsedElem*>(used_ + 2)[i & (kSize - 1)];
  }
  uint16_t& used_event() { return avail_[2 + kSize]; }
  uint16_t avail_event() { return used_[2 + 4 * kSize]; }

  std::shared_ptr<const GuestMemory> memory_;
  uint16_t* avail_ = nullptr;
  uint16_t* used_ = nullptr;
};

TEST_F(SplitQueueTest, RejectsBadGeometry) {
  EXPECT_FALSE(SplitQueue::Create(*memory_, kAddrs, 6, 0, false).ok());
  EXPECT_FALSE(SplitQueue::Create(*memory_, kAddrs, 0, 0, false).ok());
  SplitQueueAddrs misaligned = kAddrs;
  misaligned.desc_uva += 8;
  EXPECT_FALSE(SplitQueue::Create(*memory_, misaligned, kSize, 0, false).ok());
  SplitQueueAddrs outside = kAddrs;
  outside.used_uva = kUvaBase + (1 << 20) - 8;  // the used ring runs off the region
  auto q = SplitQueue::Create(*memory_, outside, kSize, 0, false);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("not inside guest memory"), absl::string_view::npos);
  // 8 entries fit where 32768 (a 512 KiB table) do not.
  SplitQueueAddrs high = kAddrs;
  high.desc_uva = kUvaBase + 0xc0000;
  EXPECT_TRUE(SplitQueue::Create(*memory_, high, kSize, 0, false).ok());
  EXPECT_FALSE(SplitQueue::Create(*memory_, high, 32768, 0, false).ok());
}

TEST_F(SplitQueueTest, TakesWhatIsOfferedInOrder) {
  SplitQueue q = Make(false);
  EXPECT_EQ(q.AvailCount(), 0);
  Offer(5);
  Offer(2);
  Offer(7);
  ASSERT_EQ(q.AvailCount(), 3);
  EXPECT_EQ(q.PopAvail(), 5);
  EXPECT_EQ(q.PopAvail(), 2);
  EXPECT_EQ(q.AvailCount(), 1);
  EXPECT_EQ(q.PopAvail(), 7);
  EXPECT_EQ(q.AvailCount(), 0);
  EXPECT_EQ(q.next_avail(), 3);
}

TEST_F(SplitQueueTest, IndicesWrapAt16Bits) {
  avail_[1] = 65534;
  used_[1] = 65535;
  SplitQueue q = Make(false, 65534);
  for (uint16_t h = 0; h < 4; ++h) Offer(h);
  ASSERT_EQ(q.AvailCount(), 4);
  for (uint16_t h = 0; h < 4; ++h) EXPECT_EQ(q.PopAvail(), h);
  EXPECT_EQ(q.next_avail(), 2);  // 65534 + 4
  q.PushUsed(0, 10);
  q.PushUsed(1, 20);
  q.PublishUsed();
  EXPECT_EQ(used_[1], 1);  // 65535 + 2
  EXPECT_EQ(UsedEntry(65535).id, 0u);
  EXPECT_EQ(UsedEntry(0).len, 20u);
}

TEST_F(SplitQueueTest, DriverClaimingMoreThanTheRingBreaksTheQueue) {
  SplitQueue q = Make(false);
  avail_[1] = kSize + 1;
  EXPECT_EQ(q.AvailCount(), 0);
  EXPECT_TRUE(q.broken());
  avail_[1] = 1;  // even if it then behaves
  EXPECT_EQ(q.AvailCount(), 0);
}

TEST_F(SplitQueueTest, UsedEntriesAppearOnlyWhenPublished) {
  used_[1] = 3;  // where a previous connection left it
  SplitQueue q = Make(false);
  q.PushUsed(4, 1514);
  EXPECT_EQ(used_[1], 3);
  q.PublishUsed();
  EXPECT_EQ(used_[1], 4);
  EXPECT_EQ(UsedEntry(3).id, 4u);
  EXPECT_EQ(UsedEntry(3).len, 1514u);
  EXPECT_EQ(q.next_used(), 4);
}

TEST_F(SplitQueueTest, NotifyHonoursNoInterruptFlag) {
  SplitQueue q = Make(false);
  EXPECT_FALSE(q.NeedsNotify());  // nothing new
  q.PushUsed(0, 1);
  q.PublishUsed();
  EXPECT_TRUE(q.NeedsNotify());
  EXPECT_FALSE(q.NeedsNotify());  // already told
  avail_[0] = kVringAvailFNoInterrupt;
  q.PushUsed(1, 1);
  q.PublishUsed();
  EXPECT_FALSE(q.NeedsNotify());
}

TEST_F(SplitQueueTest, NotifyWithEventIdxOnlyWhenUsedEventIsCrossed) {
  SplitQueue q = Make(true);
  used_event() = 2;  // driver: tell me once entry 2 is used
  q.PushUsed(0, 1);
  q.PushUsed(1, 1);
  q.PublishUsed();  // used idx 2: entries 0 and 1
  EXPECT_FALSE(q.NeedsNotify());
  q.PushUsed(2, 1);
  q.PublishUsed();  // used idx 3: entry 2 is now used
  EXPECT_TRUE(q.NeedsNotify());
  q.PushUsed(3, 1);
  q.PublishUsed();
  EXPECT_FALSE(q.NeedsNotify());  // driver has not moved used_event
  used_event() = 5;
  for (int i = 0; i < 4; ++i) q.PushUsed(i, 1);
  q.PublishUsed();  // 4 -> 8 crosses 5 in one batch
  EXPECT_TRUE(q.NeedsNotify());
}

TEST_F(SplitQueueTest, KickSuppression) {
  SplitQueue plain = Make(false);
  plain.DisableKicks();
  EXPECT_EQ(used_[0] & kVringUsedFNoNotify, kVringUsedFNoNotify);
  plain.EnableKicks();
  EXPECT_EQ(used_[0] & kVringUsedFNoNotify, 0);

  SplitQueue q = Make(true);
  Offer(1);
  Offer(2);
  ASSERT_EQ(q.AvailCount(), 2);
  q.PopAvail();
  q.PopAvail();
  q.EnableKicks();
  EXPECT_EQ(avail_event(), 2);  // kick me for what comes after these
}

}  // namespace
}  // namespace zcswitch
