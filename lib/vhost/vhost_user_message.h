// vhost-user messages on the wire: the header, the payloads zcswitch reads,
// one table of the front-end requests it knows, and reading a message with
// its file descriptors from a Unix socket.
//
// Checks come in two steps, as rust-vmm's vhost crate does: ValidateMessage()
// checks a message against the table and its payload's own fields (syntax);
// the handler checks it against the device's state (meaning). Every error
// names the request and the check that failed. File descriptors a message
// brings are owned by its Message and closed unless a handler takes them.
#ifndef ZCSWITCH_LIB_VHOST_VHOST_USER_MESSAGE_H_
#define ZCSWITCH_LIB_VHOST_VHOST_USER_MESSAGE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/vhost/guest_memory.h"

namespace zcswitch {

// Front-end request codes (the vhost-user spec's "front-end message types").
enum class VhostUserRequest : uint32_t {
  kGetFeatures = 1,
  kSetFeatures = 2,
  kSetOwner = 3,
  kResetOwner = 4,
  kSetMemTable = 5,
  kSetLogBase = 6,
  kSetLogFd = 7,
  kSetVringNum = 8,
  kSetVringAddr = 9,
  kSetVringBase = 10,
  kGetVringBase = 11,
  kSetVringKick = 12,
  kSetVringCall = 13,
  kSetVringErr = 14,
  kGetProtocolFeatures = 15,
  kSetProtocolFeatures = 16,
  kGetQueueNum = 17,
  kSetVringEnable = 18,
  kSendRarp = 19,
  kNetSetMtu = 20,
  kSetBackendReqFd = 21,
  kIotlbMsg = 22,
  kGetConfig = 24,
  kSetConfig = 25,
  kGetInflightFd = 31,
  kSetInflightFd = 32,
  kResetDevice = 34,
  kGetMaxMemSlots = 36,
  kAddMemReg = 37,
  kRemMemReg = 38,
  kSetStatus = 39,
  kGetStatus = 40,
};

struct VhostUserHeader {
  uint32_t request;
  uint32_t flags;
  uint32_t size;  // payload bytes that follow
};
static_assert(sizeof(VhostUserHeader) == 12);

inline constexpr uint32_t kVhostUserVersion = 0x1;
inline constexpr uint32_t kVhostUserVersionMask = 0x3;
inline constexpr uint32_t kVhostUserFlagReply = 0x4;
inline constexpr uint32_t kVhostUserFlagNeedReply = 0x8;

// u64 payloads of SET_VRING_KICK/CALL/ERR: queue index, and a flag for "no
// fd: poll instead".
inline constexpr uint64_t kVringIndexMask = 0xff;
inline constexpr uint64_t kVringNoFdFlag = 0x100;

struct VringStatePayload {
  uint32_t index;
  uint32_t num;
};

struct VringAddrPayload {
  uint32_t index;
  uint32_t flags;  // bit 0: dirty logging
  uint64_t desc_user_addr;
  uint64_t used_user_addr;
  uint64_t avail_user_addr;
  uint64_t log_guest_addr;
};
static_assert(sizeof(VringAddrPayload) == 40);

struct MemoryTablePayload {
  uint32_t nregions;
  uint32_t padding;
  MemoryRegionDesc regions[GuestMemory::kMaxRegions];
};
static_assert(sizeof(MemoryRegionDesc) == 32);
static_assert(sizeof(MemoryTablePayload) == 8 + 8 * 32);

struct DeviceConfigPayload {
  uint32_t offset;
  uint32_t size;
  uint32_t flags;
  uint8_t region[256];
};

// What follows a request's header.
enum class PayloadKind : uint8_t {
  kNone,
  kU64,
  kVringState,
  kVringAddr,
  kMemoryTable,
  kDeviceConfig,
  kOpaque,  // a request zcswitch refuses; its size is only bounded
};

struct RequestInfo {
  VhostUserRequest request;
  absl::string_view name;
  PayloadKind payload;
  uint8_t max_fds;
};

// The table entry of `request`, or nullptr for a code zcswitch does not know.
const RequestInfo* FindRequest(uint32_t request);
// "SET_MEM_TABLE", or "request 99" for an unknown code.
std::string RequestName(uint32_t request);

// The largest payload zcswitch reads; a bigger one is refused unread.
inline constexpr uint32_t kMaxPayload = 4096;

class Message {
 public:
  Message() = default;
  ~Message();
  Message(Message&& other) noexcept;
  Message& operator=(Message&& other) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  VhostUserHeader header{};
  std::vector<uint8_t> payload;

  const std::vector<int>& fds() const { return fds_; }
  // Hands fd `i` over to the caller, who must close it.
  int TakeFd(size_t i);
  void AddFd(int fd) { fds_.push_back(fd); }

  // The payload as T; only after ValidateMessage() said it is one.
  template <typename T>
  T As() const {
    T value{};
    std::memcpy(&value, payload.data(), std::min(sizeof(T), payload.size()));
    return value;
  }

 private:
  void CloseFds();
  std::vector<int> fds_;
};

// Syntax: version, known request, payload size right for its kind (for a
// memory table, for its region count), no more fds than the request takes.
absl::Status ValidateMessage(const Message& message);

// Reads one message from a connected vhost-user socket, fds included.
// Unavailable on a closed connection; InvalidArgument for a malformed header
// or an oversized payload. Blocking: call when the socket is readable.
absl::StatusOr<Message> ReadMessage(int socket_fd);

// Writes a reply: `request`'s header with the reply flag and `payload`.
absl::Status WriteReply(int socket_fd, uint32_t request, const void* payload, uint32_t size);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VHOST_USER_MESSAGE_H_
