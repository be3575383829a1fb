#include "lib/dataplane/queue_assignment.h"

#include <set>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(QueueAssignmentTest, OneLcorePollsEverything) {
  const std::vector<uint16_t> queues = {1, 2, 1};
  auto a = AssignRxQueues(queues, 1);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_THAT(a[0],
              ElementsAre(RxQueueRef{0, 0}, RxQueueRef{1, 0}, RxQueueRef{2, 0}, RxQueueRef{1, 1}));
}

TEST(QueueAssignmentTest, QueuesOfOnePortSpreadOverLcores) {
  const std::vector<uint16_t> queues = {2, 2};
  auto a = AssignRxQueues(queues, 2);
  EXPECT_THAT(a[0], ElementsAre(RxQueueRef{0, 0}, RxQueueRef{0, 1}));
  EXPECT_THAT(a[1], ElementsAre(RxQueueRef{1, 0}, RxQueueRef{1, 1}));
  const std::vector<uint16_t> one_port = {4};
  auto b = AssignRxQueues(one_port, 2);
  EXPECT_THAT(b[0], ElementsAre(RxQueueRef{0, 0}, RxQueueRef{0, 2}));
  EXPECT_THAT(b[1], ElementsAre(RxQueueRef{0, 1}, RxQueueRef{0, 3}));
}

TEST(QueueAssignmentTest, EveryQueueExactlyOnceAndBalanced) {
  const std::vector<uint16_t> queues = {3, 1, 4, 1, 5};
  for (size_t lcores = 1; lcores <= 5; ++lcores) {
    auto a = AssignRxQueues(queues, lcores);
    std::set<std::pair<uint16_t, uint16_t>> seen;
    size_t min = SIZE_MAX, max = 0;
    for (const auto& list : a) {
      min = std::min(min, list.size());
      max = std::max(max, list.size());
      for (const RxQueueRef& q : list) {
        EXPECT_LT(q.queue, queues[q.port]);
        EXPECT_TRUE(seen.emplace(q.port, q.queue).second) << "twice: " << q.port;
      }
    }
    EXPECT_EQ(seen.size(), 14u);
    EXPECT_LE(max - min, 1u) << lcores << " lcores";
  }
}

TEST(QueueAssignmentTest, MoreLcoresThanQueues) {
  const std::vector<uint16_t> queues = {1};
  auto a = AssignRxQueues(queues, 3);
  EXPECT_THAT(a[0], ElementsAre(RxQueueRef{0, 0}));
  EXPECT_THAT(a[1], IsEmpty());
  EXPECT_THAT(a[2], IsEmpty());
  EXPECT_TRUE(AssignRxQueues(queues, 0).empty());
}

TEST(QueueAssignmentTest, AddedPortGoesToTheLeastLoadedAndNothingMoves) {
  const std::vector<uint16_t> queues = {2, 1};
  auto a = AssignRxQueues(queues, 2);  // {0.0, 0.1} and {1.0}
  const auto before = a;
  AssignAddedPort(a, 2, 3);
  EXPECT_THAT(a[0], ElementsAre(RxQueueRef{0, 0}, RxQueueRef{0, 1}, RxQueueRef{2, 1}));
  EXPECT_THAT(a[1], ElementsAre(RxQueueRef{1, 0}, RxQueueRef{2, 0}, RxQueueRef{2, 2}));
  for (size_t i = 0; i < before.size(); ++i) {
    for (size_t j = 0; j < before[i].size(); ++j) EXPECT_EQ(a[i][j], before[i][j]);
  }
}

TEST(QueueAssignmentTest, UnassignedPortLeavesTheOthersWhereTheyWere) {
  const std::vector<uint16_t> queues = {2, 2, 1};
  auto a = AssignRxQueues(queues, 2);
  UnassignPort(a, 1);
  EXPECT_THAT(a[0], ElementsAre(RxQueueRef{0, 0}, RxQueueRef{2, 0}));
  EXPECT_THAT(a[1], ElementsAre(RxQueueRef{0, 1}));
  // Its id is free again: a port added there is dealt like any other.
  AssignAddedPort(a, 1, 1);
  EXPECT_THAT(a[1], ElementsAre(RxQueueRef{0, 1}, RxQueueRef{1, 0}));
}

}  // namespace
}  // namespace zcswitch
