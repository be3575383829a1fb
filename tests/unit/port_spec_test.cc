#include "lib/control/port_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "drivers/port_drivers.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<PortConfig> Parse(std::vector<std::string> words) {
  return ParsePortSpec(words, PortDrivers());
}

PortConfig Vhost(std::string name, std::string socket) {
  PortConfig p;
  p.name = std::move(name);
  p.type = "vhost-user";
  p.socket = std::move(socket);
  return p;
}

PortConfig Ethdev(std::string name, std::string devargs) {
  PortConfig p;
  p.name = std::move(name);
  p.devargs = std::move(devargs);
  return p;
}

TEST(PortSpecTest, VhostUserServerByDefault) {
  absl::StatusOr<PortConfig> p = Parse({"vm1", "vhost-user", "/tmp/vm1.sock"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "vm1");
  EXPECT_EQ(p->type, "vhost-user");
  EXPECT_EQ(p->socket, "/tmp/vm1.sock");
  EXPECT_EQ(p->mode, VhostMode::kServer);
  EXPECT_EQ(p->queues, 1);
  EXPECT_FALSE(p->vlan.has_value());
  EXPECT_TRUE(p->trunk.empty());
}

TEST(PortSpecTest, OptionsInAnyOrder) {
  absl::StatusOr<PortConfig> p =
      Parse({"vm2", "vhost-user", "/s", "queues", "4", "client", "vlan", "10"});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mode, VhostMode::kClient);
  EXPECT_EQ(p->queues, 4);
  EXPECT_EQ(p->vlan, 10);
  EXPECT_EQ(Parse({"vm3", "vhost-user", "/s", "server"})->mode, VhostMode::kServer);
  absl::StatusOr<PortConfig> e = Parse({"up", "ethdev", "net_null0,size=64", "trunk", "10,20"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "ethdev");
  EXPECT_EQ(e->devargs, "net_null0,size=64");
  EXPECT_THAT(e->trunk, ElementsAre(10, 20));
}

TEST(PortSpecTest, BadWordsAreRefusedWithUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"vm1", "vhost-user"},
      {"bad name", "vhost-user", "/s"},
      {"all", "vhost-user", "/s"},  // what commands take for every port
      {"vm1", "tap", "/s"},
      {"vm1", "vhost-user", ""},
      {"up", "ethdev", ",x=1"},
      {"up", "ethdev", "net_null0", "client"},  // client is for vhost-user
      {"vm1", "vhost-user", "/s", "queues"},
      {"vm1", "vhost-user", "/s", "queues", "0"},
      {"vm1", "vhost-user", "/s", "queues", "65"},
      {"vm1", "vhost-user", "/s", "vlan", "4095"},
      {"vm1", "vhost-user", "/s", "vlan", "10,20"},
      {"vm1", "vhost-user", "/s", "vlan", "10", "trunk", "20"},
      {"vm1", "vhost-user", "/s", "trunk", "10,10"},
      {"vm1", "vhost-user", "/s", "trunk", "10,x"},
      {"vm1", "vhost-user", "/s", "speed", "10"},
  };
  for (const auto& words : bad) {
    absl::StatusOr<PortConfig> p = Parse(words);
    ASSERT_FALSE(p.ok()) << testing::PrintToString(words);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr("usage: port add NAME"));
  }
}

TEST(PortSpecTest, NameDeviceAndSocketMustBeFree) {
  const PortConfig vm = Vhost("vm1", "/s1");
  const PortConfig up = Ethdev("up", "net_null0,size=64");
  const std::vector<PortConfig> ports = {vm, PortConfig{}, up};  // id 1 is free

  EXPECT_EQ(CheckPortFits(Vhost("up", "/s2"), ports, PortDrivers()).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(CheckPortFits(Ethdev("up2", "net_null0"), ports, PortDrivers()).message(),
              HasSubstr("already port up"));
  EXPECT_THAT(CheckPortFits(Vhost("vm2", "/s1"), ports, PortDrivers()).message(), HasSubstr("already port vm1"));
  EXPECT_THAT(CheckPortFits(Vhost("vm2", "//s1"), ports, PortDrivers()).message(), HasSubstr("already port vm1"));
  EXPECT_TRUE(CheckPortFits(Vhost("vm2", "/s2"), ports, PortDrivers()).ok());
  EXPECT_TRUE(CheckPortFits(Ethdev("up2", "net_null1"), ports, PortDrivers()).ok());
}

}  // namespace
}  // namespace zcswitch
