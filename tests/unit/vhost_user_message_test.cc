// Reading and validating vhost-user messages from a real socket pair, as a
// front-end would send them (header, payload, fds as SCM_RIGHTS).
#include "lib/vhost/vhost_user_message.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::HasSubstr;

class VhostUserMessageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv_), 0); }
  void TearDown() override {
    close(sv_[0]);
    if (sv_[1] >= 0) close(sv_[1]);
  }

  // Sends header + payload (+ fds) from the front-end's end.
  void Send(uint32_t request, const void* payload, uint32_t size, std::vector<int> fds = {},
            uint32_t flags = kVhostUserVersion) {
    VhostUserHeader h{request, flags, size};
    iovec iov{&h, sizeof(h)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(16 * sizeof(int))];
    if (!fds.empty()) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
      std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    }
    ASSERT_EQ(sendmsg(sv_[1], &msg, 0), static_cast<ssize_t>(sizeof(h)));
    if (size != 0) ASSERT_EQ(write(sv_[1], payload, size), static_cast<ssize_t>(size));
  }

  absl::StatusOr<Message> Receive() { return ReadMessage(sv_[0]); }

  // Reads and validates; returns the validation error text, "" if valid.
  std::string Check() {
    auto m = Receive();
    if (!m.ok()) return "read: " + std::string(m.status().message());
    absl::Status s = ValidateMessage(*m);
    return s.ok() ? "" : std::string(s.message());
  }

  int sv_[2] = {-1, -1};
};

int OpenFd() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }
bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST_F(VhostUserMessageTest, ReadsHeaderPayloadAndFds) {
  MemoryTablePayload table{};
  table.nregions = 2;
  table.regions[0] = {0, 1 << 20, 0x7f00000000, 0};
  table.regions[1] = {1 << 30, 1 << 20, 0x7f10000000, 4096};
  const int a = OpenFd(), b = OpenFd();
  Send(5, &table, 8 + 2 * 32, {a, b});
  close(a);
  close(b);
  auto m = Receive();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(ValidateMessage(*m).ok()) << ValidateMessage(*m);
  EXPECT_EQ(m->header.request, 5u);
  ASSERT_EQ(m->fds().size(), 2u);
  const auto got = m->As<MemoryTablePayload>();
  EXPECT_EQ(got.regions[1].guest_phys_addr, 1u << 30);
  EXPECT_EQ(got.regions[1].mmap_offset, 4096u);
  // Fds are closed with the message unless taken.
  const int kept = m->TakeFd(0);
  const int dropped = m->fds()[1];
  *m = Message();
  EXPECT_TRUE(IsOpen(kept));
  EXPECT_FALSE(IsOpen(dropped));
  close(kept);
}

TEST_F(VhostUserMessageTest, NamesAreFromTheTable) {
  EXPECT_EQ(RequestName(5), "SET_MEM_TABLE");
  EXPECT_EQ(RequestName(17), "GET_QUEUE_NUM");
  EXPECT_EQ(RequestName(99), "request 99");
  EXPECT_EQ(FindRequest(12)->max_fds, 1);
}

TEST(RequestTableTest, CodesAndNamesAreUnique) {
  std::set<uint32_t> codes;
  std::set<absl::string_view> names;
  for (const RequestInfo& info : KnownRequests()) {
    EXPECT_TRUE(codes.insert(static_cast<uint32_t>(info.request)).second) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_EQ(FindRequest(static_cast<uint32_t>(info.request)), &info) << info.name;
  }
  EXPECT_EQ(FindRequest(23), nullptr);  // a gap in the spec's numbering
}

TEST(RequestTableTest, EveryRequestThatTouchesTheDataPathIsMarked) {
  std::map<absl::string_view, DataPath> touching;
  for (const RequestInfo& info : KnownRequests()) {
    if (info.data_path != DataPath::kUntouched) touching[info.name] = info.data_path;
  }
  // A new memory table, and a reset, change what every live vring uses; the
  // others change one vring's size, rings, position, notifications or role.
  // SET_VRING_ERR is absent: the data path never uses the error fd.
  EXPECT_EQ(touching, (std::map<absl::string_view, DataPath>{
                          {"RESET_OWNER", DataPath::kLiveVrings},
                          {"SET_MEM_TABLE", DataPath::kLiveVrings},
                          {"SET_VRING_NUM", DataPath::kItsVring},
                          {"SET_VRING_ADDR", DataPath::kItsVring},
                          {"SET_VRING_BASE", DataPath::kItsVring},
                          {"GET_VRING_BASE", DataPath::kItsVring},
                          {"SET_VRING_KICK", DataPath::kItsVring},
                          {"SET_VRING_CALL", DataPath::kItsVring},
                          {"SET_VRING_ENABLE", DataPath::kItsVring},
                      }));
}

TEST(RequestTableTest, ARequestAboutOneVringHasAPayloadThatNamesIt) {
  for (const RequestInfo& info : KnownRequests()) {
    if (info.data_path != DataPath::kItsVring) continue;
    EXPECT_TRUE(info.payload == PayloadKind::kVringState ||
                info.payload == PayloadKind::kVringAddr || info.payload == PayloadKind::kU64)
        << info.name;
  }
}

TEST_F(VhostUserMessageTest, PayloadSizesAreChecked) {
  uint64_t u64 = 0;
  VringStatePayload state{};
  VringAddrPayload addr{};
  Send(2, &u64, 4);
  EXPECT_EQ(Check(), "SET_FEATURES: payload is 4 bytes, expected 8");
  Send(8, &state, 8);
  EXPECT_EQ(Check(), "");
  Send(8, &addr, 12);
  EXPECT_EQ(Check(), "SET_VRING_NUM: payload is 12 bytes, expected 8");
  Send(9, &addr, 40);
  EXPECT_EQ(Check(), "");
  Send(9, &addr, 32);
  EXPECT_EQ(Check(), "SET_VRING_ADDR: payload is 32 bytes, expected 40");
  Send(1, nullptr, 0);
  EXPECT_EQ(Check(), "");
}

TEST_F(VhostUserMessageTest, MemoryTableMustAgreeWithItself) {
  MemoryTablePayload table{};
  table.nregions = 0;
  Send(5, &table, 8);
  EXPECT_THAT(Check(), HasSubstr("0 regions; 1 to 8 allowed"));
  table.nregions = 9;
  Send(5, &table, 8);
  EXPECT_THAT(Check(), HasSubstr("9 regions"));
  table.nregions = 2;
  Send(5, &table, 8 + 32, {OpenFd(), OpenFd()});
  EXPECT_THAT(Check(), HasSubstr("payload is 40 bytes, expected 72"));
  table.nregions = 1;
  Send(5, &table, 8 + 32);
  EXPECT_THAT(Check(), HasSubstr("1 regions but 0 fds"));
}

TEST_F(VhostUserMessageTest, FdsBeyondWhatARequestTakesAreRefused) {
  uint64_t index = 0;
  const int a = OpenFd(), b = OpenFd();
  Send(12, &index, 8, {a, b});
  auto m = Receive();
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(ValidateMessage(*m).message(), HasSubstr("SET_VRING_KICK: came with 2 fds"));
  Send(2, &index, 8, {OpenFd()});  // SET_FEATURES takes none
  EXPECT_THAT(Check(), HasSubstr("takes at most 0"));
  close(a);
  close(b);
}

TEST_F(VhostUserMessageTest, HeaderChecks) {
  uint64_t u64 = 0;
  Send(99, &u64, 8);
  EXPECT_EQ(Check(), "request 99: unknown request");
  Send(2, &u64, 8, {}, 0x2);
  EXPECT_EQ(Check(), "SET_FEATURES: protocol version 2, expected 1");
  Send(2, &u64, 8, {}, kVhostUserVersion | kVhostUserFlagReply);
  EXPECT_EQ(Check(), "SET_FEATURES: a reply where a request was due");
}

TEST_F(VhostUserMessageTest, OversizedPayloadIsRefusedUnread) {
  VhostUserHeader h{5, kVhostUserVersion, kMaxPayload + 1};
  ASSERT_EQ(write(sv_[1], &h, sizeof(h)), static_cast<ssize_t>(sizeof(h)));
  auto m = Receive();
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("SET_MEM_TABLE: payload of 4097 bytes"));
}

TEST_F(VhostUserMessageTest, TruncatedMessagesAndClosedConnections) {
  VhostUserHeader h{2, kVhostUserVersion, 8};
  ASSERT_EQ(write(sv_[1], &h, sizeof(h)), static_cast<ssize_t>(sizeof(h)));
  ASSERT_EQ(write(sv_[1], "abc", 3), 3);
  close(sv_[1]);
  sv_[1] = -1;
  auto m = Receive();
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("connection ended 3 bytes into a 8-byte payload"));
  m = Receive();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(VhostUserMessageTest, RepliesCarryTheReplyFlag) {
  const uint64_t features = 0x140000000ull;
  ASSERT_TRUE(WriteReply(sv_[0], 1, &features, sizeof(features)).ok());
  VhostUserHeader h;
  uint64_t got = 0;
  ASSERT_EQ(read(sv_[1], &h, sizeof(h)), static_cast<ssize_t>(sizeof(h)));
  ASSERT_EQ(read(sv_[1], &got, sizeof(got)), static_cast<ssize_t>(sizeof(got)));
  EXPECT_EQ(h.request, 1u);
  EXPECT_EQ(h.flags, kVhostUserVersion | kVhostUserFlagReply);
  EXPECT_EQ(h.size, 8u);
  EXPECT_EQ(got, features);
}

}  // namespace
}  // namespace zcswitch
