// The X-list column macros generate an enum, its size and its tables in the
// list's order, and ignore a list's own further columns.
#include "lib/base/x_list.h"

#include <cstddef>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

// X(id, name, help, weight): one column beyond the three the macros read.
#define ZCSWITCH_TEST_COLOURS(X)     \
  X(kRed, "red", "stop", 3)          \
  X(kAmber, "amber", "get ready", 2) \
  X(kGreen, "green", "go", 1)

enum class Colour { ZCSWITCH_TEST_COLOURS(ZC_X_ID) };
constexpr size_t kNumColours = ZC_X_COUNT(ZCSWITCH_TEST_COLOURS);
constexpr absl::string_view kColourNames[] = {ZCSWITCH_TEST_COLOURS(ZC_X_NAME)};
constexpr absl::string_view kColourHelp[] = {ZCSWITCH_TEST_COLOURS(ZC_X_HELP)};

static_assert(kNumColours == 3);
static_assert(static_cast<int>(Colour::kGreen) == 2);

TEST(XListTest, TablesFollowTheListsOrder) {
  ASSERT_EQ(std::size(kColourNames), kNumColours);
  ASSERT_EQ(std::size(kColourHelp), kNumColours);
  EXPECT_EQ(kColourNames[static_cast<size_t>(Colour::kAmber)], "amber");
  EXPECT_EQ(kColourHelp[static_cast<size_t>(Colour::kRed)], "stop");
}

}  // namespace
}  // namespace zcswitch
