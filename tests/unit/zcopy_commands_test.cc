// Zero-copy's commands on a settings object and hand-made snapshots: what
// `show zcopy` says (text and JSON), what `set zcopy` changes and what it
// refuses, with the usage, changing nothing.
#include "lib/bridge/zcopy_commands.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/switch/zcopy_xstats.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A port with a zero-copy target of our choosing and reaps counted.
class TargetPort : public Port {
 public:
  explicit TargetPort(ZcopyTarget target) : Port("nic", 1, 2) { set_zcopy_target(target); }
  absl::string_view type_name() const override { return "ethdev"; }
  std::string Describe() const override { return "nic"; }
  absl::Status Start() override { return absl::OkStatus(); }
  void Stop() override {}
  void RefreshLink() override {}

 protected:
  uint16_t RxBurst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t TxBurst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
};

PortSnapshot GuestPort(const std::string& name, bool link_up, bool can_lend) {
  PortSnapshot p;
  p.name = name;
  p.type = "vhost-user";
  p.link_up = link_up;
  p.zcopy_target = ZcopyTarget::kCopy;
  ZcopyCounters q0;
  q0.packets.Add(10);
  q0.bytes.Add(15000);
  q0.CountCopy(CopyReason::kSmall);
  q0.CountCopy(CopyReason::kSmall);
  q0.CountCopy(CopyReason::kNotPrompt);
  q0.completions.Add(11);
  q0.SetInflight(4);
  q0.head_in_use.Add(1);
  AppendZcopyXstats(q0, can_lend, 0, 0, p.xstats);
  ZcopyCounters q1;
  AppendZcopyXstats(q1, can_lend, 1, 0, p.xstats);
  // The hold time in µs, as the port works it out from cycles.
  for (PortXstat& x : p.xstats) {
    if (x.name == "zcopy_hold_us" && x.queue == "rx0") x.value = 55;
  }
  p.xstats.push_back({"kicks", "", "rx0", 9, "kicks"});  // not zero-copy's
  return p;
}

SwitchSnapshot Sample() {
  SwitchSnapshot s;
  s.ports.push_back(GuestPort("vm1", true, true));
  TargetPort nic(ZcopyTarget::kReaped);
  nic.Reap(1);
  nic.Reap(1);
  PortSnapshot n;
  n.name = "nic";
  n.type = "ethdev";
  n.zcopy_target = nic.zcopy_target();
  AppendReapXstats(nic, n.xstats);
  s.ports.push_back(n);
  PortSnapshot sink;
  sink.name = "sink";
  sink.type = "ethdev";
  sink.zcopy_target = ZcopyTarget::kReference;
  s.ports.push_back(sink);
  return s;
}

TEST(ZcopyXstatsTest, OnlyAReapedPortShowsReaps) {
  for (ZcopyTarget t : {ZcopyTarget::kCopy, ZcopyTarget::kCopyNoReap, ZcopyTarget::kReference}) {
    std::vector<PortXstat> xstats;
    AppendReapXstats(TargetPort(t), xstats);
    EXPECT_TRUE(xstats.empty()) << ZcopyTargetName(t);
  }
  TargetPort nic(ZcopyTarget::kReaped);
  nic.Reap(0);
  std::vector<PortXstat> xstats;
  AppendReapXstats(nic, xstats);
  ASSERT_EQ(xstats.size(), 2u);
  EXPECT_EQ(xstats[0], MakeZcopyXstat(ZcopyXstat::kReaps, "tx0", 1));
  EXPECT_EQ(xstats[1], MakeZcopyXstat(ZcopyXstat::kReaps, "tx1", 0));
  EXPECT_EQ(xstats[0].metric, "zcswitch_zcopy_reaps_total");
  EXPECT_TRUE(xstats[0].per_port);
}

TEST(ZcopyReplyTest, TextShowsSettingsTargetsQueuesAndReasons) {
  const ZcopySettings::Values settings{.enabled = true, .copy_threshold = 256, .max_inflight = 64,
                                       .reap_us = 50, .header_bytes = 128};
  const CommandReply r = ZcopyReply(settings, Sample());
  const std::vector<std::string> lines = absl::StrSplit(r.text, '\n');
  ASSERT_GE(lines.size(), 9u) << r.text;
  EXPECT_EQ(lines[0],
            "zero-copy on: copy_threshold 256, max_inflight 64, reap_us 50, header_bytes 128");
  EXPECT_EQ(lines[1], "port vm1 (vhost-user): target copy: not prompt");
  EXPECT_THAT(lines[2], HasSubstr("can-lend"));
  // Columns line up with their heading.
  EXPECT_EQ(lines[3].size(), lines[2].size()) << r.text;
  EXPECT_THAT(absl::StrSplit(lines[3], ' ', absl::SkipEmpty()),
              ElementsAre("rx0", "yes", "10", "15000", "3", "4", "4", "11", "5.0"));
  EXPECT_THAT(absl::StrSplit(lines[4], ' ', absl::SkipEmpty()),
              ElementsAre("rx1", "yes", "0", "0", "0", "0", "0", "0", "0.0"));
  EXPECT_EQ(lines[5], "  copied by reason: rx0 small=2 rx0 not_prompt=1");
  EXPECT_EQ(lines[6], "  not given back in time: rx0 zcopy_head_in_use=1");
  EXPECT_EQ(lines[7], "port nic (ethdev): target reaped");
  EXPECT_EQ(lines[8], "  reaps: tx0=0 tx1=2");
  EXPECT_EQ(lines[9], "port sink (ethdev): target reference");
  EXPECT_THAT(r.text, Not(HasSubstr("IN_ORDER")));
}

TEST(ZcopyReplyTest, JsonHasEveryCounterByQueue) {
  const CommandReply r = ZcopyReply({.enabled = false}, Sample());
  EXPECT_EQ(r.data["settings"]["enabled"], false);
  EXPECT_EQ(r.data["settings"]["max_inflight"], 64);
  const nlohmann::json& vm = r.data["ports"][0];
  EXPECT_EQ(vm["name"], "vm1");
  EXPECT_EQ(vm["target"], "copy_not_prompt");
  EXPECT_EQ(vm["in_order"], false);
  ASSERT_EQ(vm["queues"].size(), 2u);
  const nlohmann::json& q = vm["queues"][0];
  EXPECT_EQ(q["queue"], "rx0");
  EXPECT_EQ(q["can_lend"], true);
  EXPECT_EQ(q["packets"], 10);
  EXPECT_EQ(q["bytes"], 15000);
  EXPECT_EQ(q["copied"]["small"], 2);
  EXPECT_EQ(q["copied"]["not_prompt"], 1);
  EXPECT_EQ(q["copied"]["disabled"], 0);
  EXPECT_EQ(q["copied"].size(), kNumCopyReasons);
  EXPECT_EQ(q["copied_total"], 3);
  EXPECT_EQ(q["inflight"], 4);
  EXPECT_EQ(q["inflight_max"], 4);
  EXPECT_EQ(q["completions"], 11);
  EXPECT_EQ(q["hold_us"], 55);
  EXPECT_DOUBLE_EQ(q["avg_hold_us"].get<double>(), 5.0);
  EXPECT_EQ(q["head_in_use"], 1);
  EXPECT_EQ(r.data["ports"][1]["target"], "reaped");
  EXPECT_EQ(r.data["ports"][1]["reaps"], nlohmann::json::parse(R"({"tx0": 0, "tx1": 2})"));
  EXPECT_TRUE(r.data["ports"][2]["queues"].empty());
}

TEST(ZcopyReplyTest, AConnectedGuestThatTookInOrderIsPointedOut) {
  SwitchSnapshot s;
  s.ports.push_back(GuestPort("ordered", true, false));
  s.ports.push_back(GuestPort("away", false, false));  // no guest: nothing to say yet
  s.ports.push_back(GuestPort("lends", true, true));
  EXPECT_THAT(PortsNotLending(s), ElementsAre("ordered"));
  const CommandReply r = ZcopyReply({}, s);
  EXPECT_THAT(r.text, HasSubstr("port ordered (vhost-user): target copy: not prompt\n"
                                "  its guest took IN_ORDER"));
  EXPECT_EQ(r.data["ports"][0]["in_order"], true);
  EXPECT_EQ(r.data["ports"][1]["in_order"], false);
}

class ZcopyCommandsTest : public ::testing::Test {
 protected:
  ZcopyCommandsTest() {
    AddZcopyCommands(
        table_, &settings_, [this] { return snapshot_; },
        [] { return std::vector<std::string>{"vm1", "nic", "sink"}; });
  }

  absl::StatusOr<CommandReply> Run(const std::string& line) {
    return table_.Run(std::vector<std::string>(absl::StrSplit(line, ' ')));
  }

  ZcopySettings settings_;
  SwitchSnapshot snapshot_ = Sample();
  CommandTable table_;
};

TEST_F(ZcopyCommandsTest, SetChangesOneSettingAtATime) {
  absl::StatusOr<CommandReply> r = Run("set zcopy off");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text, "zero-copy off\n");
  EXPECT_FALSE(settings_.enabled());
  r = Run("set zcopy copy_threshold 1024");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text, "zero-copy copy_threshold 1024 (was 1440)\n");
  EXPECT_EQ(r->data["copy_threshold"], 1024);
  EXPECT_EQ(r->data["enabled"], false);
  ASSERT_TRUE(Run("set zcopy max_inflight 32768").ok());
  ASSERT_TRUE(Run("set zcopy reap_us 1").ok());
  ASSERT_TRUE(Run("set zcopy header_bytes 512").ok());
  ASSERT_TRUE(Run("set zcopy copy_threshold 0").ok());
  const ZcopySettings::Values v = settings_.Get();
  EXPECT_EQ(v.copy_threshold, 0u);
  EXPECT_EQ(v.max_inflight, 32768u);
  EXPECT_EQ(v.reap_us, 1u);
  EXPECT_EQ(v.header_bytes, 512u);
  EXPECT_FALSE(v.enabled);
  r = Run("set zcopy on");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "zero-copy on\n");
  EXPECT_TRUE(settings_.enabled());
  EXPECT_EQ(r->data["in_order_ports"], nlohmann::json::array());
}

// The ranges are the configuration's (config.cc reads the same table).
TEST_F(ZcopyCommandsTest, RefusalsGiveTheUsageAndChangeNothing) {
  const ZcopySettings::Values before = settings_.Get();
  const struct {
    const char* line;
    const char* problem;
    const char* usage;
  } cases[] = {
      {"set zcopy maybe", "unknown state \"maybe\"", "usage: set zcopy on|off"},
      {"set zcopy", "STATE is missing", "usage: set zcopy on|off"},
      {"set zcopy on now", "unexpected \"now\"", "usage: set zcopy on|off"},
      {"set zcopy copy_threshold 65536", "65535", "usage: set zcopy copy_threshold N"},
      {"set zcopy copy_threshold -1", "N", "usage: set zcopy copy_threshold N"},
      {"set zcopy copy_threshold", "N is missing", "usage: set zcopy copy_threshold N"},
      {"set zcopy max_inflight 0", "32768", "usage: set zcopy max_inflight N"},
      {"set zcopy max_inflight 32769", "32768", "usage: set zcopy max_inflight N"},
      {"set zcopy reap_us 0", "1000000", "usage: set zcopy reap_us N"},
      {"set zcopy header_bytes 63", "512", "usage: set zcopy header_bytes N"},
      {"set zcopy header_bytes 513", "512", "usage: set zcopy header_bytes N"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<CommandReply> r = Run(c.line);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(r.status().message(), HasSubstr(c.problem)) << c.line;
    EXPECT_THAT(r.status().message(), HasSubstr(c.usage)) << c.line;
  }
  // `set zcopy WORD` may have meant any of them: they are all shown.
  const std::string message(Run("set zcopy maybe").status().message());
  for (const ZcopyKnob& k : kZcopyKnobs) {
    EXPECT_THAT(message, HasSubstr(absl::StrCat("or: set zcopy ", k.name, " N"))) << message;
  }
  const ZcopySettings::Values after = settings_.Get();
  EXPECT_EQ(after.enabled, before.enabled);
  EXPECT_EQ(after.copy_threshold, before.copy_threshold);
  EXPECT_EQ(after.max_inflight, before.max_inflight);
  EXPECT_EQ(after.reap_us, before.reap_us);
  EXPECT_EQ(after.header_bytes, before.header_bytes);
}

TEST_F(ZcopyCommandsTest, SetOnNamesConnectedGuestsThatTookInOrder) {
  settings_.Set({.enabled = false});
  snapshot_.ports.push_back(GuestPort("ordered", true, false));
  absl::StatusOr<CommandReply> r = Run("set zcopy on");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->text, HasSubstr("zero-copy on\nport ordered: its guest took IN_ORDER"));
  EXPECT_THAT(r->text, HasSubstr("until the port is added again"));
  EXPECT_EQ(r->data["in_order_ports"], nlohmann::json::array({"ordered"}));
  // Turning it off has nothing to warn of.
  r = Run("set zcopy off");
  EXPECT_EQ(r->text, "zero-copy off\n");
}

TEST_F(ZcopyCommandsTest, ShowOnePortOrAll) {
  settings_.Set({.enabled = true, .copy_threshold = 300});
  absl::StatusOr<CommandReply> r = Run("show zcopy");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->data["ports"].size(), 3u);
  EXPECT_THAT(r->text, HasSubstr("copy_threshold 300"));
  r = Run("show zcopy nic");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->data["ports"].size(), 1u);
  EXPECT_EQ(r->data["ports"][0]["name"], "nic");
  EXPECT_THAT(r->text, Not(HasSubstr("vm1")));
  r = Run("show zcopy nope");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no port named \"nope\"");
}

TEST_F(ZcopyCommandsTest, HelpListsEveryCommandWithItsUsage) {
  const std::string help = table_.Help();
  EXPECT_THAT(help, HasSubstr("show zcopy [NAME]"));
  EXPECT_THAT(help, HasSubstr("set zcopy on|off"));
  for (const ZcopyKnob& k : kZcopyKnobs) {
    EXPECT_THAT(help, HasSubstr(absl::StrCat("set zcopy ", k.name, " N")));
    EXPECT_THAT(help, HasSubstr(k.help));
  }
}

}  // namespace
}  // namespace zcswitch
