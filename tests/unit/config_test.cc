#include "lib/control/config.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "drivers/port_drivers.h"

namespace zcswitch {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(
eal: [-l, "0,1", --no-huge, -m, 512]
forwarding:
  mode: io
  lcores: [1]
  pairs: [[vm1, uplink]]
  tx_retries: 4
fdb:
  aging_s: 60
  static:
    - {mac: "52:54:00:00:00:01", vlan: 10, port: vm1}
zcopy:
  enabled: false
  copy_threshold: 512
ports:
  - name: vm1
    type: vhost-user
    socket: /tmp/vm1.sock
    mode: client
    queues: 2
    vlan: 10
  - name: uplink
    type: ethdev
    devargs: net_null0,no-rx=1
    zcopy_ok: true
    trunk: [10, 20]
)";

// The message of parsing `yaml`, which must fail.
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> c = ParseConfig(yaml, "test.yaml", PortDrivers());
  EXPECT_FALSE(c.ok()) << "parsed: " << yaml;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(ConfigTest, ParsesEveryKey) {
  absl::StatusOr<Config> c = ParseConfig(kGood, "test.yaml", PortDrivers());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->eal, ::testing::ElementsAre("-l", "0,1", "--no-huge", "-m", "512"));
  EXPECT_EQ(c->forwarding.mode, "io");
  EXPECT_THAT(c->forwarding.lcores, ::testing::ElementsAre(1u));
  ASSERT_EQ(c->forwarding.pairs.size(), 1u);
  EXPECT_EQ(c->forwarding.pairs[0].first, "vm1");
  EXPECT_EQ(c->forwarding.pairs[0].second, "uplink");
  EXPECT_EQ(c->forwarding.tx_retries, 4u);
  EXPECT_EQ(c->fdb.aging_s, 60u);
  ASSERT_EQ(c->fdb.static_entries.size(), 1u);
  EXPECT_EQ(c->fdb.static_entries[0].mac.ToString(), "52:54:00:00:00:01");
  EXPECT_EQ(c->fdb.static_entries[0].vlan, 10);
  EXPECT_FALSE(c->zcopy.enabled);
  EXPECT_EQ(c->zcopy.copy_threshold, 512u);
  EXPECT_EQ(c->zcopy.max_inflight, 64u);  // default kept
  ASSERT_EQ(c->ports.size(), 2u);
  EXPECT_EQ(c->ports[0].type, "vhost-user");
  EXPECT_EQ(c->ports[0].mode, VhostMode::kClient);
  EXPECT_EQ(c->ports[0].queues, 2);
  EXPECT_EQ(c->ports[0].vlan, 10);
  EXPECT_EQ(c->ports[1].devargs, "net_null0,no-rx=1");
  EXPECT_EQ(c->ports[1].zcopy_ok, true);
  EXPECT_THAT(c->ports[1].trunk, ::testing::ElementsAre(10, 20));
}

TEST(ConfigTest, DefaultsFollowTheDesign) {
  absl::StatusOr<Config> c = ParseConfig("ports: []\n", "t.yaml", PortDrivers());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->forwarding.mode, "l2switch");
  EXPECT_THAT(c->forwarding.lcores, ::testing::ElementsAre(1u));
  EXPECT_EQ(c->forwarding.tx_retries, 8u);
  EXPECT_EQ(c->fdb.aging_s, 300u);
  EXPECT_TRUE(c->zcopy.enabled);
  EXPECT_EQ(c->zcopy.copy_threshold, 1440u);
  EXPECT_EQ(c->zcopy.reap_us, 50u);
  EXPECT_EQ(c->zcopy.header_bytes, 128u);
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndPath) {
  const std::string msg = ErrorOf(
      "forwarding:\n  mode: io\nports:\n  - name: a\n    type: ethdev\n"
      "    devargs: net_null0\n    devargz: x\n");
  EXPECT_THAT(msg, HasSubstr("test.yaml:7:5: ports[0].devargz: unknown key"));
}

TEST(ConfigTest, UnknownTopLevelKey) {
  EXPECT_THAT(ErrorOf("forwarding: {mode: io}\nportz: []\n"),
              HasSubstr("test.yaml:2:1: (top level).portz: unknown key"));
}

TEST(ConfigTest, WrongTypes) {
  EXPECT_THAT(ErrorOf("forwarding: {tx_retries: many}\n"),
              HasSubstr("forwarding.tx_retries: expected an integer"));
  EXPECT_THAT(ErrorOf("zcopy: {enabled: maybe}\n"),
              HasSubstr("zcopy.enabled: expected true or false"));
  EXPECT_THAT(ErrorOf("ports: {name: a}\n"), HasSubstr("ports: expected a list"));
  EXPECT_THAT(ErrorOf("eal: -l\n"), HasSubstr("eal: expected a list"));
  EXPECT_THAT(ErrorOf("forwarding: [io]\n"), HasSubstr("forwarding: expected a mapping"));
  EXPECT_THAT(ErrorOf("ports:\n  - name: [a]\n    type: ethdev\n"),
              HasSubstr("ports[0].name: expected a string"));
}

TEST(ConfigTest, OutOfRange) {
  EXPECT_THAT(ErrorOf("forwarding: {lcores: [1, 4096]}\n"),
              HasSubstr("forwarding.lcores[1]: 4096 is out of range [0, 127]"));
  EXPECT_THAT(ErrorOf("forwarding: {tx_retries: -1}\n"),
              HasSubstr("forwarding.tx_retries: -1 is out of range"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: net_null0, vlan: 4095}\n"),
              HasSubstr("ports[0].vlan: 4095 is out of range [1, 4094]"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: net_null0, queues: 0}\n"),
              HasSubstr("ports[0].queues: 0 is out of range"));
}

TEST(ConfigTest, UnknownMode) {
  EXPECT_THAT(ErrorOf("forwarding:\n  mode: hub\n"),
              HasSubstr("test.yaml:2:9: forwarding.mode: unknown mode \"hub\""));
}

TEST(ConfigTest, UnknownPortType) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: tap}\n"),
              HasSubstr("ports[0].type: unknown port type \"tap\""));
}

TEST(ConfigTest, DuplicatePortName) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: net_null0}\n"
                      "  - {name: a, type: ethdev, devargs: net_null1}\n"),
              HasSubstr("ports[1].name: duplicate port name \"a\" (first at ports[0])"));
}

TEST(ConfigTest, BadPortName) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: 'a b', type: ethdev, devargs: net_null0}\n"),
              HasSubstr("ports[0].name: \"a b\" is not a port name"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: all, type: ethdev, devargs: net_null0}\n"),
              HasSubstr("ports[0].name: \"all\" is not a port name"));
}

TEST(ConfigTest, MissingPortInPair) {
  EXPECT_THAT(ErrorOf("forwarding: {mode: io, pairs: [[a, ghost]]}\n"
                      "ports:\n  - {name: a, type: ethdev, devargs: net_null0}\n"),
              HasSubstr("forwarding.pairs[0][1]: no port named \"ghost\""));
}

TEST(ConfigTest, PortInTwoPairs) {
  EXPECT_THAT(ErrorOf("forwarding: {mode: io, pairs: [[a, b], [c, a]]}\nports:\n"
                      "  - {name: a, type: ethdev, devargs: net_null0}\n"
                      "  - {name: b, type: ethdev, devargs: net_null1}\n"
                      "  - {name: c, type: ethdev, devargs: net_null2}\n"),
              HasSubstr("forwarding.pairs[1][1]: port \"a\" is already in "
                        "forwarding.pairs[0]"));
}

TEST(ConfigTest, PairShape) {
  EXPECT_THAT(ErrorOf("forwarding: {pairs: [[a]]}\n"),
              HasSubstr("forwarding.pairs[0]: expected a pair"));
}

TEST(ConfigTest, MissingPortInStaticFdb) {
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '52:54:00:00:00:01', port: x}\n"),
              HasSubstr("fdb.static[0].port: no port named \"x\""));
}

TEST(ConfigTest, BadMac) {
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '52:54:00:00:01', port: x}\n"),
              HasSubstr("fdb.static[0].mac: \"52:54:00:00:01\" is not a MAC address"));
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '01:00:5e:00:00:01', port: x}\n"),
              HasSubstr("is not a unicast address"));
}

TEST(ConfigTest, KeysOfTheOtherPortType) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: n, socket: /s}\n"),
              HasSubstr("ports[0].socket: only vhost-user ports take this key"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: vhost-user, socket: /s, devargs: n}\n"),
              HasSubstr("ports[0].devargs: only ethdev ports take this key"));
}

TEST(ConfigTest, MissingRequiredKeys) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev}\n"),
              HasSubstr("ports[0]: missing key 'devargs'"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: vhost-user}\n"),
              HasSubstr("ports[0]: missing key 'socket'"));
  EXPECT_THAT(ErrorOf("ports:\n  - {type: ethdev}\n"), HasSubstr("ports[0]: missing key 'name'"));
}

TEST(ConfigTest, VlanAndTrunkExclusive) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: n, vlan: 1, trunk: [2]}\n"),
              HasSubstr("ports[0].trunk: a port is either an access port"));
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: n, trunk: [2, 2]}\n"),
              HasSubstr("ports[0].trunk[1]: VLAN 2 listed twice"));
}

TEST(ConfigTest, DuplicateSocket) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: vhost-user, socket: /s}\n"
                      "  - {name: b, type: vhost-user, socket: /s}\n"),
              HasSubstr("ports[1].socket: socket /s is already used by ports[0]"));
}

TEST(ConfigTest, DuplicateDevice) {
  EXPECT_THAT(ErrorOf("ports:\n  - {name: a, type: ethdev, devargs: 'net_null0,size=64'}\n"
                      "  - {name: b, type: ethdev, devargs: net_null0}\n"),
              HasSubstr("ports[1].devargs: device net_null0 is already used by ports[0]"));
}

// Pairs are kept in every mode: `set fwd io` may switch to them later.
TEST(ConfigTest, PairsInAnyMode) {
  absl::StatusOr<Config> c = ParseConfig(
      "forwarding: {mode: macswap, pairs: [[a, b]]}\nports:\n"
      "  - {name: a, type: ethdev, devargs: net_null0}\n"
      "  - {name: b, type: ethdev, devargs: net_null1}\n",
      "t.yaml", PortDrivers());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->forwarding.pairs.size(), 1u);
}

TEST(ConfigTest, StaticEntryMustBeInAVlanOfItsPort) {
  const std::string ports =
      "ports:\n"
      "  - {name: acc, type: ethdev, devargs: net_null0, vlan: 10}\n"
      "  - {name: tr, type: ethdev, devargs: net_null1, trunk: [20, 30]}\n"
      "  - {name: un, type: ethdev, devargs: net_null2}\n";
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '52:54:00:00:00:01', vlan: 20, port: acc}\n" +
                      ports),
              HasSubstr("fdb.static[0].vlan: port \"acc\" does not carry VLAN 20"));
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '52:54:00:00:00:01', vlan: 10, port: tr}\n" +
                      ports),
              HasSubstr("fdb.static[0].vlan: port \"tr\" does not carry VLAN 10"));
  EXPECT_THAT(ErrorOf("fdb:\n  static:\n    - {mac: '52:54:00:00:00:01', vlan: 10, port: un}\n" +
                      ports),
              HasSubstr("fdb.static[0].vlan: port \"un\" does not carry VLAN 10"));
  for (const char* ok : {"{mac: '52:54:00:00:00:01', vlan: 10, port: acc}",
                         "{mac: '52:54:00:00:00:01', vlan: 30, port: tr}",
                         "{mac: '52:54:00:00:00:01', port: un}"}) {
    absl::StatusOr<Config> c =
        ParseConfig(std::string("fdb:\n  static:\n    - ") + ok + "\n" + ports, "t.yaml", PortDrivers());
    EXPECT_TRUE(c.ok()) << ok << ": " << c.status();
  }
}

TEST(ConfigTest, DuplicateLcore) {
  EXPECT_THAT(ErrorOf("forwarding: {lcores: [1, 1]}\n"),
              HasSubstr("forwarding.lcores[1]: lcore 1 listed twice"));
}

TEST(ConfigTest, YamlSyntaxError) {
  EXPECT_THAT(ErrorOf("forwarding: {mode: io\n"), HasSubstr("test.yaml:"));
}

TEST(ConfigTest, EmptyFile) { EXPECT_THAT(ErrorOf(""), HasSubstr("the file is empty")); }

TEST(ConfigTest, MissingFileNamesIt) {
  absl::StatusOr<Config> c = LoadConfigFile("/nonexistent/zc.yaml", PortDrivers());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/zc.yaml: cannot open"));
}

TEST(ConfigTest, EveryExampleConfigLoads) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ZCSWITCH_SOURCE_DIR "/config")) {
    if (entry.path().extension() != ".yaml") continue;
    absl::StatusOr<Config> c = LoadConfigFile(entry.path().string(), PortDrivers());
    EXPECT_TRUE(c.ok()) << entry.path() << ": " << c.status();
    ++seen;
  }
  EXPECT_GE(seen, 3);
}

}  // namespace
}  // namespace zcswitch
