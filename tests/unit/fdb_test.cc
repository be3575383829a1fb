// The FDB on a real rte_hash, with time injected through Maintain(now_s):
// learning through the lcores' request rings, lookups per (MAC, VLAN), ageing,
// static entries, MAC moves, flushes and a full table.
#include "lib/switch/fdb.h"

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/dataplane/quiescence.h"

namespace zcswitch {
namespace {

rte_ether_addr Mac(uint32_t n) {
  return rte_ether_addr{{0x02, 0x00, static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                         static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}

bool SameMac(const rte_ether_addr& a, const rte_ether_addr& b) {
  return rte_is_same_ether_addr(&a, &b);
}

// Owns the QSBR variable the FDB's hash reclaims slots through: `threads`
// reporting threads, none online, so a reclaim never waits.
std::string UniqueName() {
  static std::atomic<int> next{0};
  return "fdbt" + std::to_string(next++);
}

// Maintain() is first called at kT0, as the control thread would long before
// any traffic; time then only goes forward.
constexpr uint32_t kT0 = 1000;
constexpr uint32_t kAging = 300;

class FdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(quiescence_, nullptr);
    fdb_ = Make(4096, kAging, 2);
    ASSERT_NE(fdb_, nullptr);
    fdb_->Maintain(kT0);
  }
  // The FDB goes before the QSBR variable it uses.
  void TearDown() override {
    fdb_.reset();
  }

  std::unique_ptr<Fdb> Make(uint32_t capacity, uint32_t aging_s, unsigned lcores) {
    names_.push_back(UniqueName());
    Fdb::Options o;
    o.capacity = capacity;
    o.aging_s = aging_s;
    o.lcores = lcores;
    o.qsbr = quiescence_->qsbr();
    o.name = names_.back().c_str();
    auto fdb = Fdb::Create(o);
    EXPECT_TRUE(fdb.ok()) << fdb.status();
    return fdb.ok() ? *std::move(fdb) : nullptr;
  }

  const FdbEntry* Find(const std::vector<FdbEntry>& entries, const rte_ether_addr& mac,
                       uint16_t vlan) {
    for (const FdbEntry& e : entries) {
      if (SameMac(e.mac, mac) && e.vlan == vlan) return &e;
    }
    return nullptr;
  }

  // No lcore online: every grace period is over at once.
  std::unique_ptr<Quiescence> quiescence_ = Quiescence::Create(4).value();
  std::vector<std::string> names_;  // the Options' names outlive the FDBs
  std::unique_ptr<Fdb> fdb_;
};

TEST_F(FdbTest, CreateRefusesASecondFdbOfTheSameName) {
  Fdb::Options o;
  o.capacity = 64;
  o.qsbr = quiescence_->qsbr();
  o.name = names_.front().c_str();  // fdb_'s
  EXPECT_FALSE(Fdb::Create(o).ok());
}

TEST_F(FdbTest, EmptyTableFindsNothing) {
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_TRUE(fdb_->Entries().empty());
  EXPECT_EQ(fdb_->Stats().entries, 0u);
  EXPECT_EQ(fdb_->aging_s(), kAging);
}

TEST_F(FdbTest, LearningTakesEffectOnlyAtMaintain) {
  fdb_->Learn(0, Mac(1), 10, 3);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_TRUE(fdb_->Entries().empty());
  EXPECT_EQ(fdb_->Stats().learned, 0u);

  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 3);
  const auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(SameMac(entries[0].mac, Mac(1)));
  EXPECT_EQ(entries[0].vlan, 10);
  EXPECT_EQ(entries[0].port, 3);
  EXPECT_FALSE(entries[0].is_static);
  EXPECT_EQ(entries[0].age_s, 0u);
  const FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.learned, 1u);
  EXPECT_EQ(s.moves, 0u);
}

TEST_F(FdbTest, EveryLcoresRequestsAreLearned) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(1, Mac(2), 10, 2);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), 2);
  EXPECT_EQ(fdb_->Stats().learned, 2u);
}

TEST_F(FdbTest, RepeatedRequestsLearnOneEntry) {
  for (int i = 0; i < 10; ++i) fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(1, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  const FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.learned, 1u);
  EXPECT_EQ(s.moves, 0u);
}

TEST_F(FdbTest, LookupIsPerMacAndVlan) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(0, Mac(1), 20, 2);
  fdb_->Learn(0, Mac(2), 10, 3);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 20), 2);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), 3);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 20), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 30), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 0), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(3), 10), -1);
  const auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 3u);
  ASSERT_NE(Find(entries, Mac(1), 20), nullptr);
  EXPECT_EQ(Find(entries, Mac(1), 20)->port, 2);
  EXPECT_EQ(fdb_->Stats().entries, 3u);

  // The two VLANs' entries for one MAC are separate.
  EXPECT_TRUE(fdb_->Remove(Mac(1), 10).ok());
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 20), 2);
  EXPECT_EQ(fdb_->Stats().entries, 2u);
}

TEST_F(FdbTest, MacsDifferingInAnyByteAreDistinct) {
  const rte_ether_addr base = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
  fdb_->Learn(0, base, 1, 0);
  for (int byte = 0; byte < 6; ++byte) {
    rte_ether_addr other = base;
    other.addr_bytes[byte] ^= 0x80;
    fdb_->Learn(0, other, 1, static_cast<uint16_t>(byte + 1));
  }
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(base, 1), 0);
  for (int byte = 0; byte < 6; ++byte) {
    rte_ether_addr other = base;
    other.addr_bytes[byte] ^= 0x80;
    EXPECT_EQ(fdb_->Lookup(other, 1), byte + 1) << byte;
  }
  EXPECT_EQ(fdb_->Stats().entries, 7u);
}

TEST_F(FdbTest, EntryAgesOutAfterAgingSeconds) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  ASSERT_EQ(fdb_->Lookup(Mac(1), 10), 1);

  fdb_->Maintain(kT0 + 100);
  ASSERT_EQ(fdb_->Entries().size(), 1u);
  EXPECT_EQ(fdb_->Entries()[0].age_s, 100u);

  fdb_->Maintain(kT0 + kAging - 1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  EXPECT_EQ(fdb_->Stats().aged, 0u);

  fdb_->Maintain(kT0 + kAging);  // not seen for aging_s
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_TRUE(fdb_->Entries().empty());
  const FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.aged, 1u);
  EXPECT_EQ(s.entries, 0u);
}

TEST_F(FdbTest, AgeingWithALargeStepRemovesEverythingStale) {
  for (uint32_t i = 0; i < 50; ++i) fdb_->Learn(0, Mac(i), 1, 1);
  fdb_->Maintain(kT0);
  ASSERT_EQ(fdb_->Stats().entries, 50u);
  fdb_->Maintain(kT0 + 10 * kAging);
  EXPECT_EQ(fdb_->Stats().entries, 0u);
  EXPECT_EQ(fdb_->Stats().aged, 50u);
  for (uint32_t i = 0; i < 50; ++i) EXPECT_EQ(fdb_->Lookup(Mac(i), 1), -1);
}

TEST_F(FdbTest, LearnOnTheSamePortKeepsTheEntryAlive) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(0, Mac(2), 10, 1);
  fdb_->Maintain(kT0);

  // Seen again (on either lcore) at kT0 + aging_s - 1, the time of the last
  // Maintain: Mac(1)'s life starts again from there, Mac(2)'s does not.
  const uint32_t seen = kT0 + kAging - 1;
  fdb_->Maintain(seen);
  fdb_->Learn(1, Mac(1), 10, 1);
  fdb_->Maintain(kT0 + kAging);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), -1);

  fdb_->Maintain(seen + kAging - 1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  fdb_->Maintain(seen + kAging);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);

  const FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.learned, 2u);  // a refresh learns nothing new
  EXPECT_EQ(s.moves, 0u);
  EXPECT_EQ(s.aged, 2u);
}

TEST_F(FdbTest, StaticEntryNeverAges) {
  ASSERT_TRUE(fdb_->AddStatic(Mac(7), 10, 4).ok());
  EXPECT_EQ(fdb_->Lookup(Mac(7), 10), 4);  // at once, no Maintain needed
  fdb_->Maintain(kT0 + 100 * kAging);
  EXPECT_EQ(fdb_->Lookup(Mac(7), 10), 4);
  const auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].is_static);
  EXPECT_EQ(entries[0].port, 4);
  EXPECT_EQ(entries[0].age_s, 0u);
  EXPECT_EQ(fdb_->Stats().aged, 0u);
  EXPECT_EQ(fdb_->Stats().entries, 1u);
  EXPECT_EQ(fdb_->Stats().learned, 0u);
}

TEST_F(FdbTest, LearningDoesNotMoveAStaticEntry) {
  ASSERT_TRUE(fdb_->AddStatic(Mac(7), 10, 4).ok());
  fdb_->Learn(0, Mac(7), 10, 1);
  fdb_->Maintain(kT0 + 1);
  fdb_->Learn(1, Mac(7), 10, 2);
  fdb_->Maintain(kT0 + 2);
  EXPECT_EQ(fdb_->Lookup(Mac(7), 10), 4);
  const auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].is_static);
  EXPECT_EQ(entries[0].port, 4);
  const FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.moves, 0u);  // moves count learned MACs only
  EXPECT_EQ(s.learned, 0u);
  // In another VLAN the MAC is learned as usual.
  fdb_->Learn(0, Mac(7), 20, 1);
  fdb_->Maintain(kT0 + 3);
  EXPECT_EQ(fdb_->Lookup(Mac(7), 20), 1);
}

TEST_F(FdbTest, AddStaticReplacesALearnedEntryAndAnotherStatic) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  ASSERT_EQ(fdb_->Lookup(Mac(1), 10), 1);

  ASSERT_TRUE(fdb_->AddStatic(Mac(1), 10, 5).ok());
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 5);
  fdb_->Maintain(kT0 + 2 * kAging);  // the learned one would have aged
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 5);

  ASSERT_TRUE(fdb_->AddStatic(Mac(1), 10, 6).ok());
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 6);
  const auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].is_static);
  EXPECT_EQ(entries[0].port, 6);
  EXPECT_EQ(fdb_->Stats().entries, 1u);
}

TEST_F(FdbTest, MoveIsCountedAndTheEntryFollowsTheMac) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  ASSERT_EQ(fdb_->Lookup(Mac(1), 10), 1);

  fdb_->Maintain(kT0 + 5);
  fdb_->Learn(0, Mac(1), 10, 2);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);  // until the writer has seen it
  fdb_->Maintain(kT0 + 5);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 2);
  FdbStats s = fdb_->Stats();
  EXPECT_EQ(s.moves, 1u);
  EXPECT_EQ(s.learned, 1u);
  EXPECT_EQ(s.entries, 1u);
  auto entries = fdb_->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].port, 2);
  EXPECT_FALSE(entries[0].is_static);
  EXPECT_EQ(entries[0].age_s, 0u);  // seen just now, on its new port

  // And back, from the other lcore.
  fdb_->Maintain(kT0 + 7);
  fdb_->Learn(1, Mac(1), 10, 1);
  fdb_->Maintain(kT0 + 7);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  s = fdb_->Stats();
  EXPECT_EQ(s.moves, 2u);
  EXPECT_EQ(s.entries, 1u);
}

TEST_F(FdbTest, MovedEntryAgesFromWhenItMoved) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  const uint32_t moved = kT0 + kAging - 10;
  fdb_->Maintain(moved);
  fdb_->Learn(0, Mac(1), 10, 2);
  fdb_->Maintain(moved);
  fdb_->Maintain(kT0 + kAging + 5);  // older than aging_s since first learned
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 2);
  fdb_->Maintain(moved + kAging);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
}

TEST_F(FdbTest, FlushPortRemovesThatPortsLearnedEntriesOnly) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(0, Mac(2), 20, 1);
  fdb_->Learn(0, Mac(3), 10, 2);
  fdb_->Maintain(kT0);
  ASSERT_TRUE(fdb_->AddStatic(Mac(4), 10, 1).ok());
  ASSERT_EQ(fdb_->Stats().entries, 4u);

  EXPECT_EQ(fdb_->FlushPort(1), 2u);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 20), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(3), 10), 2);
  EXPECT_EQ(fdb_->Lookup(Mac(4), 10), 1);  // static: stays
  EXPECT_EQ(fdb_->Stats().entries, 2u);
  EXPECT_EQ(fdb_->Entries().size(), 2u);

  EXPECT_EQ(fdb_->FlushPort(1), 0u);
  EXPECT_EQ(fdb_->FlushPort(9), 0u);

  // A flushed MAC is learned again, as new.
  fdb_->Learn(0, Mac(1), 10, 3);
  fdb_->Maintain(kT0 + 1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 3);
  EXPECT_EQ(fdb_->Stats().moves, 0u);
}

TEST_F(FdbTest, ForgetPortRemovesStaticEntriesAndQueuedRequestsToo) {
  ASSERT_TRUE(fdb_->AddStatic(Mac(1), 10, 1).ok());
  ASSERT_TRUE(fdb_->AddStatic(Mac(2), 10, 2).ok());
  fdb_->Learn(0, Mac(3), 10, 1);
  fdb_->Maintain(kT0);
  fdb_->Learn(0, Mac(4), 20, 1);  // still queued
  EXPECT_EQ(fdb_->ForgetPort(1), 3u);
  fdb_->Maintain(kT0 + 1);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(3), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(4), 20), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), 2);
  EXPECT_EQ(fdb_->Stats().entries, 1u);
}

// Within one second an lcore asks once per MAC; after a removal it asks
// again at once, or the MAC would be flooded to until the next second.
TEST_F(FdbTest, AMacFlushedIsLearnedAgainWithinTheSameSecond) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  ASSERT_EQ(fdb_->ForgetPort(1), 1u);
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
  ASSERT_TRUE(fdb_->Remove(Mac(1), 10).ok());
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), 1);
}

TEST_F(FdbTest, AFlushAlsoTakesWhatWasStillToBeLearned) {
  fdb_->Learn(0, Mac(1), 10, 1);  // queued, not applied yet
  EXPECT_EQ(fdb_->FlushPort(1), 1u);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  fdb_->Learn(0, Mac(2), 10, 2);
  EXPECT_EQ(fdb_->FlushLearned(), 1u);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), -1);
  EXPECT_EQ(fdb_->Stats().entries, 0u);
}

TEST_F(FdbTest, FlushLearnedKeepsStaticEntries) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Learn(0, Mac(2), 20, 2);
  fdb_->Maintain(kT0);
  ASSERT_TRUE(fdb_->AddStatic(Mac(3), 10, 1).ok());

  EXPECT_EQ(fdb_->FlushLearned(), 2u);
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 20), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(3), 10), 1);
  EXPECT_EQ(fdb_->Stats().entries, 1u);
  EXPECT_EQ(fdb_->FlushLearned(), 0u);
}

TEST_F(FdbTest, RemoveTakesStaticAndLearnedEntries) {
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  ASSERT_TRUE(fdb_->AddStatic(Mac(2), 10, 2).ok());

  EXPECT_TRUE(fdb_->Remove(Mac(1), 10).ok());
  EXPECT_TRUE(fdb_->Remove(Mac(2), 10).ok());
  EXPECT_EQ(fdb_->Lookup(Mac(1), 10), -1);
  EXPECT_EQ(fdb_->Lookup(Mac(2), 10), -1);
  EXPECT_EQ(fdb_->Stats().entries, 0u);
  EXPECT_TRUE(fdb_->Entries().empty());
  // Removal is not ageing.
  EXPECT_EQ(fdb_->Stats().aged, 0u);
}

TEST_F(FdbTest, RemovingAMissingEntryIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(fdb_->Remove(Mac(1), 10)));
  fdb_->Learn(0, Mac(1), 10, 1);
  fdb_->Maintain(kT0);
  EXPECT_TRUE(absl::IsNotFound(fdb_->Remove(Mac(1), 20)));  // other VLAN
  EXPECT_TRUE(fdb_->Remove(Mac(1), 10).ok());
  EXPECT_TRUE(absl::IsNotFound(fdb_->Remove(Mac(1), 10)));  // already gone
  EXPECT_EQ(fdb_->Stats().entries, 0u);
}

TEST_F(FdbTest, FullTableRefusesLearningAndCountsIt) {
  constexpr uint32_t kCapacity = 8;
  std::unique_ptr<Fdb> small = Make(kCapacity, kAging, 1);
  ASSERT_NE(small, nullptr);
  small->Maintain(kT0);
  constexpr uint32_t kAsked = kCapacity + 4;
  for (uint32_t i = 0; i < kAsked; ++i) small->Learn(0, Mac(100 + i), 1, 1);
  small->Maintain(kT0);

  FdbStats s = small->Stats();
  EXPECT_EQ(s.entries, kCapacity);
  EXPECT_EQ(s.learned, kCapacity);
  EXPECT_EQ(s.table_full, kAsked - kCapacity);
  EXPECT_EQ(s.learn_dropped, 0u);
  EXPECT_EQ(small->Entries().size(), kCapacity);
  int found = 0;
  for (uint32_t i = 0; i < kAsked; ++i) found += small->Lookup(Mac(100 + i), 1) == 1;
  EXPECT_EQ(found, static_cast<int>(kCapacity));

  // Once entries age out, there is room again.
  small->Maintain(kT0 + kAging);
  EXPECT_EQ(small->Stats().entries, 0u);
  small->Maintain(kT0 + kAging + 1);
  small->Learn(0, Mac(1), 1, 2);
  small->Maintain(kT0 + kAging + 1);
  EXPECT_EQ(small->Lookup(Mac(1), 1), 2);
}

TEST_F(FdbTest, FullTableRoomIsFreedByRemove) {
  constexpr uint32_t kCapacity = 8;
  std::unique_ptr<Fdb> small = Make(kCapacity, kAging, 1);
  ASSERT_NE(small, nullptr);
  small->Maintain(kT0);
  for (uint32_t i = 0; i < kCapacity; ++i) {
    ASSERT_TRUE(small->AddStatic(Mac(i), 1, 1).ok()) << i;
  }
  small->Learn(0, Mac(50), 1, 2);
  small->Maintain(kT0);
  EXPECT_EQ(small->Lookup(Mac(50), 1), -1);
  EXPECT_EQ(small->Stats().table_full, 1u);

  ASSERT_TRUE(small->Remove(Mac(0), 1).ok());
  small->Maintain(kT0 + 1);
  small->Learn(0, Mac(50), 1, 2);
  small->Maintain(kT0 + 1);
  EXPECT_EQ(small->Lookup(Mac(50), 1), 2);
  EXPECT_EQ(small->Stats().entries, kCapacity);
}

TEST_F(FdbTest, RequestsBeyondAnLcoresQueueAreDroppedAndCounted) {
  // Far more distinct MACs than any sensible request queue holds, between
  // two Maintains: each is learned, refused for room, or dropped.
  std::unique_ptr<Fdb> fdb = Make(65536, kAging, 1);
  ASSERT_NE(fdb, nullptr);
  fdb->Maintain(kT0);
  constexpr uint32_t kAsked = 50000;
  for (uint32_t i = 0; i < kAsked; ++i) fdb->Learn(0, Mac(i), 1, 1);
  fdb->Maintain(kT0);
  const FdbStats s = fdb->Stats();
  EXPECT_GT(s.learn_dropped, 0u);
  EXPECT_GT(s.learned, 0u);
  EXPECT_EQ(s.table_full, 0u);
  EXPECT_EQ(s.learned + s.learn_dropped, kAsked);
  EXPECT_EQ(s.entries, s.learned);

  // A dropped MAC is asked for again when next seen, and learned then.
  uint32_t missing = kAsked;
  for (uint32_t i = 0; i < kAsked; ++i) {
    if (fdb->Lookup(Mac(i), 1) == -1) {
      missing = i;
      break;
    }
  }
  ASSERT_NE(missing, kAsked);
  fdb->Maintain(kT0 + 1);
  fdb->Learn(0, Mac(missing), 1, 1);
  fdb->Maintain(kT0 + 1);
  EXPECT_EQ(fdb->Lookup(Mac(missing), 1), 1);
}

// With an lcore online that has not yet been quiescent, a deleted entry's
// slot is not given to another MAC (the lcore may still be reading it); once
// the lcore has been quiescent it is. Meanwhile the table counts what it
// holds, not the slots waiting.
TEST_F(FdbTest, SlotsOfDeletedEntriesWaitForEveryLcoreToBeQuiescent) {
  auto quiescence = Quiescence::Create(1);
  ASSERT_TRUE(quiescence.ok()) << quiescence.status();
  constexpr uint32_t kCapacity = 8;
  std::unique_ptr<Fdb> fdb;
  {
    names_.push_back(UniqueName());
    Fdb::Options o;
    o.capacity = kCapacity;
    o.aging_s = kAging;
    o.qsbr = (*quiescence)->qsbr();
    o.name = names_.back().c_str();
    auto created = Fdb::Create(o);
    ASSERT_TRUE(created.ok()) << created.status();
    fdb = *std::move(created);
  }
  (*quiescence)->Online(0);
  fdb->Maintain(kT0);
  for (uint32_t i = 0; i < kCapacity; ++i) fdb->Learn(0, Mac(i), 1, 1);
  fdb->Maintain(kT0);
  ASSERT_EQ(fdb->Stats().entries, kCapacity);

  fdb->Maintain(kT0 + kAging);  // every entry ages out; lcore 0 not quiescent
  EXPECT_EQ(fdb->Stats().aged, kCapacity);
  EXPECT_EQ(fdb->Stats().entries, 0u);
  EXPECT_TRUE(fdb->Entries().empty());
  fdb->Learn(0, Mac(100), 1, 2);
  fdb->Maintain(kT0 + kAging);
  EXPECT_EQ(fdb->Lookup(Mac(100), 1), -1);
  EXPECT_EQ(fdb->Stats().table_full, 1u);
  EXPECT_EQ(fdb->Stats().entries, 0u);

  (*quiescence)->Quiescent(0);
  fdb->Maintain(kT0 + kAging + 1);
  for (uint32_t i = 0; i < kCapacity; ++i) fdb->Learn(0, Mac(100 + i), 1, 2);
  fdb->Maintain(kT0 + kAging + 1);
  EXPECT_EQ(fdb->Stats().entries, kCapacity);
  for (uint32_t i = 0; i < kCapacity; ++i) EXPECT_EQ(fdb->Lookup(Mac(100 + i), 1), 2) << i;
  (*quiescence)->Offline(0);
  fdb.reset();  // before the QSBR variable it uses
}

TEST_F(FdbTest, StatsEntriesFollowsEveryChange) {
  EXPECT_EQ(fdb_->Stats().entries, 0u);
  for (uint32_t i = 0; i < 5; ++i) fdb_->Learn(0, Mac(i), 1, 1);
  fdb_->Maintain(kT0);
  EXPECT_EQ(fdb_->Stats().entries, 5u);
  ASSERT_TRUE(fdb_->AddStatic(Mac(10), 1, 2).ok());
  EXPECT_EQ(fdb_->Stats().entries, 6u);
  ASSERT_TRUE(fdb_->Remove(Mac(0), 1).ok());
  EXPECT_EQ(fdb_->Stats().entries, 5u);
  EXPECT_EQ(fdb_->FlushPort(1), 4u);
  EXPECT_EQ(fdb_->Stats().entries, 1u);
  fdb_->Maintain(kT0 + 10 * kAging);
  EXPECT_EQ(fdb_->Stats().entries, 1u);  // the static one
  EXPECT_EQ(fdb_->Entries().size(), 1u);
}

}  // namespace
}  // namespace zcswitch
