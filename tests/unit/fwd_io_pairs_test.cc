#include "gtest/gtest.h"
#include "lib/switch/fwd_io.h"

namespace zcswitch {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(IoPairsTest, PairsForwardBothWays) {
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  auto io = IoEngine::Create(Pairs{{"a", "c"}, {"d", "b"}}, names);
  ASSERT_TRUE(io.ok()) << io.status();
  EXPECT_EQ((*io)->peer(0), 2);
  EXPECT_EQ((*io)->peer(2), 0);
  EXPECT_EQ((*io)->peer(3), 1);
  EXPECT_EQ((*io)->peer(1), 3);
  EXPECT_EQ((*io)->peer(4), -1);  // unpaired
  EXPECT_EQ((*io)->peer(99), -1);
}

TEST(IoPairsTest, RejectsBadPairs) {
  const std::vector<std::string> names = {"a", "b", "c"};
  EXPECT_EQ(IoEngine::Create(Pairs{{"a", "z"}}, names).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(IoEngine::Create(Pairs{{"a", "a"}}, names).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto twice = IoEngine::Create(Pairs{{"a", "b"}, {"c", "b"}}, names);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("\"b\" is already paired"), std::string::npos);
}

}  // namespace
}  // namespace zcswitch
