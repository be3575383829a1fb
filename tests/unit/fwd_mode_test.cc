// The table of forwarding modes: every row builds its engine from a port
// table, names are unique, and only io asks for pairs.
#include "lib/switch/fwd_mode.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/dataplane/quiescence.h"
#include "lib/switch/fwd_io.h"

namespace zcswitch {
namespace {

TEST(FwdModeTest, TheTableListsEachModeOnceDefaultFirst) {
  std::set<std::string> names;
  for (const FwdMode* mode : FwdModes()) {
    EXPECT_TRUE(names.insert(std::string(mode->name)).second) << mode->name;
    EXPECT_FALSE(mode->help.empty()) << mode->name;
    EXPECT_NE(mode->create, nullptr) << mode->name;
    EXPECT_EQ(FindFwdMode(mode->name), mode);
  }
  EXPECT_EQ(names, (std::set<std::string>{"l2switch", "io", "macswap"}));
  EXPECT_EQ(FwdModes()[0]->name, "l2switch");
  EXPECT_EQ(FindFwdMode("hub"), nullptr);
  EXPECT_EQ(FwdModeChoices(), "l2switch|io|macswap");
  EXPECT_TRUE(FindFwdMode("io")->needs_pairs);
  EXPECT_FALSE(FindFwdMode("l2switch")->needs_pairs);
  EXPECT_FALSE(FindFwdMode("macswap")->needs_pairs);
}

TEST(FwdModeTest, EveryRowBuildsAnEngineForAPortTable) {
  absl::StatusOr<std::unique_ptr<Quiescence>> quiescence = Quiescence::Create(1);
  ASSERT_TRUE(quiescence.ok());
  Fdb::Options o;
  o.lcores = 1;
  o.qsbr = (*quiescence)->qsbr();
  o.name = "fwdmodetest";
  absl::StatusOr<std::unique_ptr<Fdb>> fdb = Fdb::Create(o);
  ASSERT_TRUE(fdb.ok()) << fdb.status();
  const VlanMap vlans({PortVlan::Untagged(), PortVlan::Trunk({}), PortVlan::Untagged()});
  const std::string names[] = {"a", "", "c"};
  const std::pair<std::string, std::string> pairs[] = {{"a", "c"}};
  const FwdModeContext context = {
      .fdb = fdb->get(), .vlans = &vlans, .port_names = names, .pairs = pairs, .lcores = 1};
  for (const FwdMode* mode : FwdModes()) {
    absl::StatusOr<std::unique_ptr<FwdEngine>> engine = mode->create(context);
    ASSERT_TRUE(engine.ok()) << mode->name << ": " << engine.status();
    EXPECT_EQ((*engine)->name(), mode->name);
  }
  // io pairs the ports by the names the context gives them.
  absl::StatusOr<std::unique_ptr<FwdEngine>> io = kIoMode.create(context);
  ASSERT_TRUE(io.ok());
  const auto& engine = static_cast<const IoEngine&>(**io);
  EXPECT_EQ(engine.peer(0), 2);
  EXPECT_EQ(engine.peer(2), 0);
  EXPECT_EQ(engine.peer(1), -1);
  // A pair naming a port not in the table is refused.
  const std::pair<std::string, std::string> ghost[] = {{"a", "ghost"}};
  FwdModeContext bad = context;
  bad.pairs = ghost;
  EXPECT_EQ(kIoMode.create(bad).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace zcswitch
