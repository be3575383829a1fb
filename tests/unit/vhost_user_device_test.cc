// VhostUserDevice driven by messages as a front-end sends them, with a
// recording VringOwner in place of the port.
#include "lib/vhost/vhost_user_device.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using R = VhostUserRequest;

class RecordingOwner : public VringOwner {
 public:
  absl::Status StartVring(uint16_t index, const VringConfig& config,
                          std::shared_ptr<const GuestMemory> memory) override {
    log.push_back("start " + std::to_string(index) + " base " + std::to_string(config.base) +
                  (config.enabled ? "" : " to drain"));
    last_memory = memory.get();
    return absl::OkStatus();
  }
  uint16_t StopVring(uint16_t index) override {
    log.push_back("stop " + std::to_string(index));
    return next_avail;
  }
  std::vector<std::string> log;
  const GuestMemory* last_memory = nullptr;
  uint16_t next_avail = 0;
};

template <typename T>
Message Msg(R request, const T& payload, uint32_t flags = kVhostUserVersion) {
  Message m;
  m.header = {static_cast<uint32_t>(request), flags, sizeof(T)};
  m.payload.resize(sizeof(T));
  std::memcpy(m.payload.data(), &payload, sizeof(T));
  return m;
}

Message Empty(R request) {
  Message m;
  m.header = {static_cast<uint32_t>(request), kVhostUserVersion, 0};
  return m;
}

Message MemTable() {
  MemoryTablePayload t{};
  t.nregions = 1;
  t.regions[0] = {0, 1 << 20, 0x7f0000000000, 0};
  Message m;
  m.header = {static_cast<uint32_t>(R::kSetMemTable), kVhostUserVersion, 8 + 32};
  m.payload.resize(8 + 32);
  std::memcpy(m.payload.data(), &t, 8 + 32);
  const int fd = memfd_create("zc-device-test", MFD_CLOEXEC);
  EXPECT_EQ(ftruncate(fd, 1 << 20), 0);
  m.AddFd(fd);
  return m;
}

Message WithEventFd(R request, uint64_t index) {
  Message m = Msg(request, index);
  m.AddFd(eventfd(0, EFD_CLOEXEC));
  return m;
}

class VhostUserDeviceTest : public ::testing::Test {
 protected:
  VhostUserDevice::Result Send(Message m) {
    EXPECT_TRUE(ValidateMessage(m).ok()) << ValidateMessage(m);
    return device_.HandleMessage(m);
  }
  void Ok(Message m) {
    auto r = Send(std::move(m));
    EXPECT_TRUE(r.status.ok()) << r.status;
  }
  // Features, memory and vring `index` fully configured but for its kick.
  void ConfigureVring(uint16_t index, uint64_t features) {
    Ok(Msg(R::kSetFeatures, features));
    Ok(MemTable());
    Ok(Msg(R::kSetVringNum, VringStatePayload{index, 256}));
    Ok(Msg(R::kSetVringBase, VringStatePayload{index, 7}));
    VringAddrPayload a{index, 0, 0x7f0000001000, 0x7f0000003000, 0x7f0000002000, 0};
    Ok(Msg(R::kSetVringAddr, a));
    Ok(WithEventFd(R::kSetVringCall, index));
  }

  RecordingOwner owner_;
  VhostUserDevice device_{2, &owner_};
};

TEST_F(VhostUserDeviceTest, OffersWhatItImplements) {
  auto r = Send(Empty(R::kGetFeatures));
  ASSERT_TRUE(r.reply.has_value());
  uint64_t features;
  std::memcpy(&features, r.reply->payload.data(), 8);
  EXPECT_EQ(features, device_.offered_features());
  EXPECT_TRUE(features & kVirtioFVersion1);
  EXPECT_TRUE(features & kVirtioNetFMrgRxbuf);
  EXPECT_TRUE(features & kVirtioNetFMq);  // two queue pairs
  r = Send(Empty(R::kGetQueueNum));
  std::memcpy(&features, r.reply->payload.data(), 8);
  EXPECT_EQ(features, 2u);
}

TEST_F(VhostUserDeviceTest, RefusesFeaturesNotOfferedAndLegacy) {
  EXPECT_THAT(Send(Msg(R::kSetFeatures, kVirtioFVersion1 | (1ull << 5))).status.message(),
              HasSubstr("some not offered"));
  EXPECT_THAT(Send(Msg(R::kSetFeatures, kVirtioNetFMrgRxbuf)).status.message(),
              HasSubstr("VERSION_1 is required"));
}

TEST_F(VhostUserDeviceTest, VringGoesLiveOnKickWithoutProtocolFeatures) {
  ConfigureVring(1, kVirtioFVersion1);
  EXPECT_TRUE(owner_.log.empty());
  Ok(WithEventFd(R::kSetVringKick, 1));
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7"));
  EXPECT_TRUE(device_.live(1));
}

TEST_F(VhostUserDeviceTest, WithProtocolFeaturesVringWaitsForEnable) {
  ConfigureVring(0, kVirtioFVersion1 | kVhostUserFProtocolFeatures);
  Ok(WithEventFd(R::kSetVringKick, 0));
  EXPECT_TRUE(owner_.log.empty());
  Ok(Msg(R::kSetVringEnable, VringStatePayload{0, 1}));
  EXPECT_THAT(owner_.log, ElementsAre("start 0 base 7"));
  Ok(Msg(R::kSetVringEnable, VringStatePayload{0, 0}));
  EXPECT_THAT(owner_.log, ElementsAre("start 0 base 7", "stop 0"));
}

TEST_F(VhostUserDeviceTest, DisabledTransmitVringIsDrainedNotStopped) {
  ConfigureVring(1, kVirtioFVersion1 | kVhostUserFProtocolFeatures);
  Ok(WithEventFd(R::kSetVringKick, 1));
  // Live at once, but to be drained: the guest's packets go nowhere.
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7 to drain"));
  owner_.next_avail = 9;  // the drain took two
  Ok(Msg(R::kSetVringEnable, VringStatePayload{1, 1}));
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7 to drain", "stop 1", "start 1 base 9"));
  Ok(Msg(R::kSetVringEnable, VringStatePayload{1, 0}));
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7 to drain", "stop 1", "start 1 base 9",
                                      "stop 1", "start 1 base 9 to drain"));
  EXPECT_TRUE(device_.live(1));
  EXPECT_FALSE(device_.enabled(1));
}

TEST_F(VhostUserDeviceTest, GetVringBaseStopsAndReportsWhereTheDataPathWas) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  owner_.next_avail = 42;
  auto r = Send(Msg(R::kGetVringBase, VringStatePayload{1, 0}));
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.reply.has_value());
  VringStatePayload state;
  std::memcpy(&state, r.reply->payload.data(), sizeof(state));
  EXPECT_EQ(state.index, 1u);
  EXPECT_EQ(state.num, 42u);
  EXPECT_FALSE(device_.live(1));
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7", "stop 1"));
}

TEST_F(VhostUserDeviceTest, NewMemoryTableRestartsLiveVringsOnIt) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  const GuestMemory* first = owner_.last_memory;
  owner_.next_avail = 9;
  Ok(MemTable());
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7", "stop 1", "start 1 base 9"));
  EXPECT_NE(owner_.last_memory, first);
  EXPECT_EQ(owner_.last_memory, device_.memory());
}

TEST_F(VhostUserDeviceTest, ReplyAckWhenAskedAndNegotiated) {
  Ok(Msg(R::kSetFeatures, kVirtioFVersion1 | kVhostUserFProtocolFeatures));
  Ok(Msg(R::kSetProtocolFeatures, kProtocolFReplyAck));
  auto r = Send(
      Msg(R::kSetVringNum, VringStatePayload{0, 256}, kVhostUserVersion | kVhostUserFlagNeedReply));
  ASSERT_TRUE(r.reply.has_value());
  EXPECT_EQ(r.reply->payload, std::vector<uint8_t>(8, 0));
  r = Send(
      Msg(R::kSetVringNum, VringStatePayload{9, 256}, kVhostUserVersion | kVhostUserFlagNeedReply));
  EXPECT_THAT(r.status.message(), HasSubstr("SET_VRING_NUM: vring 9 does not exist"));
  ASSERT_TRUE(r.reply.has_value());
  EXPECT_EQ(r.reply->payload[0], 1);
}

TEST_F(VhostUserDeviceTest, BadVringSizesAndFds) {
  EXPECT_THAT(Send(Msg(R::kSetVringNum, VringStatePayload{0, 100})).status.message(),
              HasSubstr("not a power of two"));
  Message m = Msg(R::kSetVringCall, uint64_t{0});
  m.AddFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_THAT(Send(std::move(m)).status.message(), HasSubstr("fd is not an eventfd"));
  EXPECT_THAT(Send(Msg(R::kSetVringCall, uint64_t{0})).status.message(),
              HasSubstr("no-fd flag and the fds sent disagree"));
  EXPECT_TRUE(Send(Msg(R::kSetVringCall, uint64_t{kVringNoFdFlag})).status.ok());
}

TEST_F(VhostUserDeviceTest, ResetStopsEverything) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  device_.Reset();
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7", "stop 1"));
  EXPECT_EQ(device_.memory(), nullptr);
  EXPECT_EQ(device_.features(), 0u);
}

TEST_F(VhostUserDeviceTest, EachVringRequestStopsTheLiveVringOnceAndStartsItAgain) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  owner_.log.clear();
  VringAddrPayload a{1, 0, 0x7f0000001000, 0x7f0000003000, 0x7f0000002000, 0};
  Ok(Msg(R::kSetVringAddr, a));
  Ok(Msg(R::kSetVringNum, VringStatePayload{1, 128}));
  Ok(Msg(R::kSetVringBase, VringStatePayload{1, 3}));
  Ok(WithEventFd(R::kSetVringCall, 1));
  Ok(WithEventFd(R::kSetVringKick, 1));
  EXPECT_THAT(owner_.log, ElementsAre("stop 1", "start 1 base 0", "stop 1", "start 1 base 0",
                                      "stop 1", "start 1 base 3", "stop 1", "start 1 base 0",
                                      "stop 1", "start 1 base 0"));
  EXPECT_EQ(device_.vring(1).size, 128);
  // Neither vring 0 (not live) nor the error fd, which the data path never
  // uses, stops anything.
  owner_.log.clear();
  Ok(Msg(R::kSetVringBase, VringStatePayload{0, 5}));
  Ok(WithEventFd(R::kSetVringErr, 1));
  EXPECT_TRUE(owner_.log.empty());
  EXPECT_TRUE(device_.live(1));
}

TEST_F(VhostUserDeviceTest, ARefusedRequestLeavesLiveVringsRunning) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  owner_.log.clear();
  EXPECT_THAT(Send(Msg(R::kSetVringNum, VringStatePayload{1, 100})).status.message(),
              HasSubstr("not a power of two"));
  Message not_an_eventfd = Msg(R::kSetVringCall, uint64_t{1});
  not_an_eventfd.AddFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_THAT(Send(std::move(not_an_eventfd)).status.message(), HasSubstr("fd is not an eventfd"));
  EXPECT_THAT(Send(Msg(R::kGetVringBase, VringStatePayload{4, 0})).status.message(),
              HasSubstr("vring 4 does not exist"));
  EXPECT_TRUE(owner_.log.empty());
  EXPECT_TRUE(device_.live(1));
}

TEST_F(VhostUserDeviceTest, ResetOwnerStopsEveryLiveVringAndForgetsAll) {
  ConfigureVring(1, kVirtioFVersion1);
  Ok(WithEventFd(R::kSetVringKick, 1));
  Ok(Empty(R::kResetOwner));
  EXPECT_THAT(owner_.log, ElementsAre("start 1 base 7", "stop 1"));
  EXPECT_FALSE(device_.live(1));
  EXPECT_EQ(device_.memory(), nullptr);
  EXPECT_EQ(device_.kick_fd(1), -1);
}

TEST_F(VhostUserDeviceTest, UnknownRequestsAreRefused) {
  // The port validates first (ValidateMessage refuses them too); the device
  // does not rely on it.
  Message m;
  m.header = {99, kVhostUserVersion, 0};
  EXPECT_EQ(device_.HandleMessage(m).status.message(), "request 99: unknown request");
}

TEST_F(VhostUserDeviceTest, UnsupportedRequestsAreRefusedByName) {
  EXPECT_THAT(Send(Empty(R::kGetMaxMemSlots)).status.message(),
              HasSubstr("GET_MAX_MEM_SLOTS: not supported"));
}

}  // namespace
}  // namespace zcswitch
