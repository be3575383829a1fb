#include "lib/control/mac_addr.h"

#include "gtest/gtest.h"

namespace zcswitch {
namespace {

TEST(MacAddrTest, RoundTrips) {
  std::optional<MacAddr> m = MacAddr::Parse("52:54:00:AB:cd:0f");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->bytes, (std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f}));
  EXPECT_EQ(m->ToString(), "52:54:00:ab:cd:0f");
  EXPECT_FALSE(m->IsMulticast());
}

TEST(MacAddrTest, RejectsMalformed) {
  for (const char* bad : {"", "52:54:00:ab:cd", "52:54:00:ab:cd:0f:00", "52-54-00-ab-cd-0f",
                          "52:54:00:ab:cd:0g", "5:54:00:ab:cd:0ff", " 2:54:00:ab:cd:0f"}) {
    EXPECT_FALSE(MacAddr::Parse(bad).has_value()) << bad;
  }
}

TEST(MacAddrTest, Classifies) {
  EXPECT_TRUE(MacAddr::Parse("ff:ff:ff:ff:ff:ff")->IsMulticast());
  EXPECT_TRUE(MacAddr::Parse("01:00:5e:00:00:01")->IsMulticast());
  EXPECT_TRUE(MacAddr::Parse("00:00:00:00:00:00")->IsZero());
}

}  // namespace
}  // namespace zcswitch
