// The Bridge on real virtual devices (net_null, net_ring) with one forwarding
// lcore running: ports added and removed while it forwards, ids kept and
// reused, refusals that leave everything as it was, modes switched.
#include "lib/bridge/bridge.h"

#include <rte_eal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_format.h"
#include "drivers/port_drivers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

PortConfig NullPort(std::string name, int index) {
  PortConfig p;
  p.name = std::move(name);
  p.type = "ethdev";
  p.devargs = absl::StrFormat("net_null%d", index);
  p.rx_desc = 256;
  p.tx_desc = 256;
  return p;
}

Config TwoPorts() {
  Config c;
  c.source = "test.yaml";
  c.forwarding.lcores = {1};
  c.ports = {NullPort("a", 0), NullPort("b", 1)};
  return c;
}

// Whether `port` receives within a few seconds: the data plane polls it.
bool Polled(const Bridge& bridge, absl::string_view name) {
  for (int i = 0; i < 500; ++i) {
    for (const PortSnapshot& p : bridge.Snapshot().ports) {
      if (p.name == name && p.counters.rx_packets > 0) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class BridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Bridge>> b = Bridge::Create(TwoPorts(), PortDrivers());
    ASSERT_TRUE(b.ok()) << b.status();
    bridge_ = *std::move(b);
    ASSERT_TRUE(bridge_->Start().ok());
  }

  std::unique_ptr<Bridge> bridge_;
};

TEST_F(BridgeTest, ConfiguredPortsAreForwarded) {
  EXPECT_THAT(bridge_->PortNames(), ElementsAre("a", "b"));
  EXPECT_TRUE(bridge_->forwarding());
  EXPECT_EQ(bridge_->mode().name, "l2switch");
  EXPECT_TRUE(Polled(*bridge_, "a"));
  EXPECT_TRUE(Polled(*bridge_, "b"));
}

TEST_F(BridgeTest, AddedPortTakesTheNextIdAndIsPolled) {
  absl::StatusOr<uint16_t> id = bridge_->AddPort(NullPort("c", 2));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2);
  EXPECT_THAT(bridge_->PortNames(), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(Polled(*bridge_, "c"));
}

TEST_F(BridgeTest, RemovedPortLeavesItsIdForTheNextOne) {
  ASSERT_TRUE(bridge_->AddPort(NullPort("c", 2)).ok());
  ASSERT_TRUE(bridge_->RemovePort("b").ok());
  EXPECT_THAT(bridge_->PortNames(), ElementsAre("a", "", "c"));
  EXPECT_EQ(bridge_->FindPort("b"), nullptr);
  // The device is free again too: a port on it may come back.
  absl::StatusOr<uint16_t> id = bridge_->AddPort(NullPort("d", 1));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 1);
  EXPECT_THAT(bridge_->PortNames(), ElementsAre("a", "d", "c"));
  EXPECT_TRUE(Polled(*bridge_, "d"));
  // Removing the last id and adding again reuses it as well.
  ASSERT_TRUE(bridge_->RemovePort("c").ok());
  id = bridge_->AddPort(NullPort("e", 3));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2);
}

TEST_F(BridgeTest, RingPortComesAndGoes) {
  PortConfig ring;
  ring.name = "r";
  ring.type = "ethdev";
  ring.devargs = "net_ring0";
  ring.rx_desc = 256;
  ring.tx_desc = 256;
  absl::StatusOr<uint16_t> id = bridge_->AddPort(ring);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(bridge_->FindPort("r")->type_name(), "ethdev");
  ASSERT_TRUE(bridge_->RemovePort("r").ok());
  EXPECT_EQ(bridge_->FindPort("r"), nullptr);
}

TEST_F(BridgeTest, RefusedAddChangesNothing) {
  const std::vector<std::string> before = bridge_->PortNames();
  // The name, and the device, of a port already there.
  absl::StatusOr<uint16_t> taken = bridge_->AddPort(NullPort("a", 5));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  taken = bridge_->AddPort(NullPort("z", 0));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  // A device that cannot be probed.
  PortConfig bogus = NullPort("z", 0);
  bogus.devargs = "net_nosuchdriver0";
  EXPECT_FALSE(bridge_->AddPort(bogus).ok());
  // Rings that would leave the shared pool short.
  PortConfig greedy = NullPort("z", 6);
  greedy.queues = 16;
  greedy.rx_desc = 4096;
  absl::StatusOr<uint16_t> short_pool = bridge_->AddPort(greedy);
  EXPECT_EQ(short_pool.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(short_pool.status().message(), HasSubstr("configure it at start instead"));
  EXPECT_EQ(bridge_->PortNames(), before);
  // The id refused ports did not take is the next one's.
  absl::StatusOr<uint16_t> id = bridge_->AddPort(NullPort("c", 2));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2);
}

TEST_F(BridgeTest, RemovingAnUnknownPortIsNotFound) {
  EXPECT_EQ(bridge_->RemovePort("ghost").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(bridge_->PortNames(), ElementsAre("a", "b"));
}

TEST_F(BridgeTest, RemovedPortTakesItsFdbEntries) {
  rte_ether_addr mac = {{0x02, 0, 0, 0, 0, 0x42}};
  ASSERT_TRUE(bridge_->fdb().AddStatic(mac, 0, 1).ok());
  absl::StatusOr<size_t> forgotten = bridge_->RemovePort("b");
  ASSERT_TRUE(forgotten.ok());
  EXPECT_EQ(*forgotten, 1u);
  EXPECT_TRUE(bridge_->fdb().Entries().empty());
}

TEST_F(BridgeTest, ModesSwitchAndRefuseWhatCannotWork) {
  EXPECT_TRUE(bridge_->SetMode("macswap").ok());
  EXPECT_EQ(bridge_->mode().name, "macswap");
  EXPECT_EQ(bridge_->Snapshot(SnapshotDepth::kFull).fwd->mode, "macswap");
  // io forwards between configured pairs, and there are none.
  EXPECT_EQ(bridge_->SetMode("io").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bridge_->SetMode("hub").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bridge_->mode().name, "macswap");
}

TEST_F(BridgeTest, StoppedPortIsNotPolledAndStartsAgain) {
  Port* a = bridge_->FindPort("a");
  ASSERT_NE(a, nullptr);
  Port* const ports[] = {a};
  bridge_->StopPorts(ports);
  EXPECT_FALSE(a->enabled());
  EXPECT_FALSE(a->link_up());
  const uint64_t rx = a->stats().Total().rx_packets;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(a->stats().Total().rx_packets, rx);
  const std::vector<absl::Status> started = bridge_->StartPorts(ports);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_TRUE(started[0].ok());
  EXPECT_TRUE(a->enabled());
}

TEST(BridgeCreateTest, UnopenablePortNamesItsConfigurationKey) {
  Config c = TwoPorts();
  c.ports[1].devargs = "net_nosuchdriver0";
  absl::StatusOr<std::unique_ptr<Bridge>> b = Bridge::Create(c, PortDrivers());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("test.yaml: ports[1].devargs: "));
}

TEST(BridgeCreateTest, StaticFdbEntriesAndModeComeFromTheConfiguration) {
  Config c = TwoPorts();
  c.forwarding.mode = "io";
  c.forwarding.pairs = {{"a", "b"}};
  c.fdb.static_entries = {{*MacAddr::Parse("02:00:00:00:00:07"), 0, "b"}};
  absl::StatusOr<std::unique_ptr<Bridge>> b = Bridge::Create(c, PortDrivers());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->mode().name, "io");
  const std::vector<FdbEntry> entries = (*b)->fdb().Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].port, 1);
  EXPECT_TRUE(entries[0].is_static);
}

TEST(PortDriversTest, EveryTypeHasOneCompleteRow) {
  std::set<std::string> names;

  for (const PortDriver* d : PortDrivers()) {
    EXPECT_TRUE(names.insert(std::string(d->name)).second) << d->name;
    EXPECT_FALSE(d->attach_key.empty()) << d->name;
    EXPECT_NE(d->open, nullptr) << d->name;
    EXPECT_NE(d->ring_mbufs, nullptr) << d->name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"ethdev", "vhost-user"}));
}

}  // namespace
}  // namespace zcswitch

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Lcore 1 forwards; virtual devices only; nothing shared with other tests.
  const std::string prefix = "--file-prefix=bridgetest" + std::to_string(getpid());
  const char* eal[] = {"bridge_tests", "--no-huge", "-m",        "512",
                       "--no-pci",     "--no-shconf", prefix.c_str(), "-l",
                       "0,1",          "--log-level=error"};
  if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
