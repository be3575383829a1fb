// A vhost-user port's xstats come from one list, ZCSWITCH_VRING_COUNTERS:
// every counter in it is shown under its name, on the vrings its kind says,
// the names scripts and tests rely on stay as they are, and README.md lists
// them; zero-copy's (ZCSWITCH_ZCOPY_XSTATS) are on every guest transmit vring. No front-end connects, so the port needs neither EAL nor mempools.
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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/x_list.h"
#include "lib/switch/zcopy_xstats.h"

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

bool IsZcopy(const PortXstat& x) { return absl::StartsWith(x.name, "zcopy_"); }

// (name, reason) of the xstats on `queue`, bad descriptors and zero-copy's
// left out.
std::vector<std::pair<std::string, std::string>> CountersOn(const std::vector<PortXstat>& xstats,
                                                            absl::string_view queue) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const PortXstat& x : xstats) {
    if (x.queue == queue && x.name != "bad_descriptors" && !IsZcopy(x)) {
      out.push_back({x.name, x.reason});
    }
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

// Zero-copy's counters are on the guest's transmit vrings (the switch's RX
// queues) only, in the order and under the names of ZCSWITCH_ZCOPY_XSTATS,
// copies by every reason; an idle port can lend nothing.
TEST(VhostUserPortTest, ZcopyXstatsAreOnEveryRxQueue) {
  std::vector<std::pair<std::string, std::string>> expected;
  for (const ZcopyXstatInfo& info : kZcopyXstats) {
    if (info.name == "zcopy_reaps") continue;  // a reaped port's TX queues'
    if (info.name == "zcopy_copied") {
      for (absl::string_view reason : kCopyReasonNames) {
        expected.push_back({std::string(info.name), std::string(reason)});
      }
    } else {
      expected.push_back({std::string(info.name), ""});
    }
  }
  const std::vector<PortXstat> xstats = XstatsOfAnIdlePort();
  for (absl::string_view queue : {"rx0", "rx1", "tx0", "tx1"}) {
    std::vector<std::pair<std::string, std::string>> zcopy;
    for (const PortXstat& x : xstats) {
      if (x.queue != queue || !IsZcopy(x)) continue;
      zcopy.push_back({x.name, x.reason});
      EXPECT_EQ(x.value, 0u) << x.name;
      EXPECT_FALSE(x.metric.empty()) << x.name;
      EXPECT_FALSE(x.help.empty()) << x.name;
    }
    if (absl::StartsWith(queue, "rx")) {
      EXPECT_THAT(zcopy, ElementsAreArray(expected)) << queue;
    } else {
      EXPECT_THAT(zcopy, ::testing::IsEmpty()) << queue;
    }
  }
}

TEST(VhostUserPortTest, ReadmeNamesEveryCounter) {
  std::ifstream file(ZCSWITCH_SOURCE_DIR "/README.md");
  ASSERT_TRUE(file.is_open());
  const std::string readme((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
  for (absl::string_view name : kCounterNames) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("`", name, "`"))) << name;
  }
  for (const ZcopyXstatInfo& info : kZcopyXstats) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("`", info.name, "`"))) << info.name;
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("`", info.metric, "`"))) << info.metric;
  }
  for (absl::string_view reason : kCopyReasonNames) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("`", reason, "`"))) << reason;
  }
}

}  // namespace
}  // namespace zcswitch
