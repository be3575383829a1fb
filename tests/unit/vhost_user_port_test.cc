// A vhost-user port's xstats come from one list, ZCSWITCH_VRING_COUNTERS:
// every counter in it is shown under its name, on the vrings its kind says,
// the names scripts and tests rely on stay as they are, and README.md lists
// them. No front-end connects, so the port needs neither EAL nor mempools.
#include "drivers/vhost_user/vhost_user_port.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/x_list.h"

namespace zcswitch {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr absl::string_view kCounterNames[] = {ZCSWITCH_VRING_COUNTERS(ZC_X_NAME)};

std::vector<PortXstat> XstatsOfAnIdlePort() {
  char dir[] = "/tmp/zc-vhost-port-test-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  PortConfig config;
  config.name = "vm1";
  config.type = "vhost-user";
  config.queues = 2;
  config.socket = absl::StrCat(dir, "/vm1.sock");
  absl::StatusOr<std::unique_ptr<VhostUserPort>> port =
      VhostUserPort::Create(config, 1, MbufPools{}, nullptr, nullptr);
  EXPECT_TRUE(port.ok()) << port.status();
  std::vector<PortXstat> xstats;
  if (port.ok()) {
    (*port)->AppendXstats(xstats);
    port->reset();  // removes the socket
  }
  rmdir(dir);
  return xstats;
}

// (name, reason) of the xstats on `queue`, bad descriptors left out.
std::vector<std::pair<std::string, std::string>> CountersOn(const std::vector<PortXstat>& xstats,
                                                            absl::string_view queue) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const PortXstat& x : xstats) {
    if (x.queue == queue && x.name != "bad_descriptors") out.push_back({x.name, x.reason});
  }
  return out;
}

TEST(VhostUserPortTest, CounterNamesAreUnique) {
  const std::set<absl::string_view> names(std::begin(kCounterNames), std::end(kCounterNames));
  EXPECT_EQ(names.size(), std::size(kCounterNames));
  for (const VringCounterInfo& info : kVringCounters) EXPECT_FALSE(info.help.empty()) << info.name;
}

TEST(VhostUserPortTest, EveryCounterOfTheListIsAnXstat) {
  const std::vector<PortXstat> xstats = XstatsOfAnIdlePort();
  std::set<std::string> shown;
  for (const PortXstat& x : xstats) {
    shown.insert(x.reason.empty() ? x.name : x.reason);
    EXPECT_FALSE(x.help.empty()) << x.name;
  }
  for (absl::string_view name : kCounterNames) EXPECT_THAT(shown, Contains(std::string(name)));
}

TEST(VhostUserPortTest, XstatNamesAreThoseScriptsRelyOn) {
  const std::vector<PortXstat> xstats = XstatsOfAnIdlePort();
  // rxQ is the guest's transmit vring 2Q + 1, txQ its receive vring 2Q.
  const std::vector<std::pair<std::string, std::string>> rx = {{"drops", "no_mbuf"},
                                                               {"drops", "short_packet"},
                                                               {"drops", "bad_offload"},
                                                               {"drops", "discarded"},
                                                               {"calls", ""},
                                                               {"kicks", ""}};
  const std::vector<std::pair<std::string, std::string>> tx = {
      {"drops", "too_small"}, {"drops", "offload_failed"}, {"calls", ""}, {"kicks", ""}};
  for (absl::string_view queue : {"rx0", "rx1"}) {
    EXPECT_THAT(CountersOn(xstats, queue), ElementsAreArray(rx)) << queue;
  }
  for (absl::string_view queue : {"tx0", "tx1"}) {
    EXPECT_THAT(CountersOn(xstats, queue), ElementsAreArray(tx)) << queue;
  }
  size_t bad_descriptors = 0;
  for (const PortXstat& x : xstats) bad_descriptors += x.name == "bad_descriptors";
  EXPECT_EQ(bad_descriptors, 4 * kNumChainErrors);
}

TEST(VhostUserPortTest, ReadmeNamesEveryCounter) {
  std::ifstream file(ZCSWITCH_SOURCE_DIR "/README.md");
  ASSERT_TRUE(file.is_open());
  const std::string readme((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
  for (absl::string_view name : kCounterNames) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("`", name, "`"))) << name;
  }
}

}  // namespace
}  // namespace zcswitch
