// vhost-user messages on the wire: the header, the payloads zcswitch reads,
// one table of the front-end requests it knows (ZCSWITCH_VHOST_USER_REQUESTS:
// payload, fds, whether it touches the data path, and the handler the device
// runs), and reading a message with its file descriptors from a Unix socket.
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
#include "absl/types/span.h"
#include "lib/vhost/guest_memory.h"

namespace zcswitch {

// Every front-end request zcswitch knows (the vhost-user spec's "front-end
// message types"), one row each:
//   X(enumerator, code, name, payload, max_fds, data_path, handler)
// payload:   what follows the header (PayloadKind);
// max_fds:   how many fds it may bring; a message with more is refused;
// data_path: which vrings it changes under the data path (DataPath): the
//            device stops those that are live before the change and
//            reconciles them after, for every such request alike;
// handler:   the VhostUserDevice member that acts on it. Requests handled by
//            Unsupported are known so that they are refused by name.
#define ZCSWITCH_VHOST_USER_REQUESTS(X)                                                           \
  X(kGetFeatures, 1, "GET_FEATURES", kNone, 0, kUntouched, GetFeatures)                           \
  X(kSetFeatures, 2, "SET_FEATURES", kU64, 0, kUntouched, SetFeatures)                            \
  X(kSetOwner, 3, "SET_OWNER", kNone, 0, kUntouched, Ignore)                                      \
  X(kResetOwner, 4, "RESET_OWNER", kNone, 0, kLiveVrings, ResetOwner)                             \
  X(kSetMemTable, 5, "SET_MEM_TABLE", kMemoryTable, GuestMemory::kMaxRegions, kLiveVrings,        \
    SetMemTable)                                                                                  \
  X(kSetLogBase, 6, "SET_LOG_BASE", kOpaque, 1, kUntouched, Unsupported)                          \
  X(kSetLogFd, 7, "SET_LOG_FD", kOpaque, 1, kUntouched, Unsupported)                              \
  X(kSetVringNum, 8, "SET_VRING_NUM", kVringState, 0, kItsVring, SetVringNum)                     \
  X(kSetVringAddr, 9, "SET_VRING_ADDR", kVringAddr, 0, kItsVring, SetVringAddr)                   \
  X(kSetVringBase, 10, "SET_VRING_BASE", kVringState, 0, kItsVring, SetVringBase)                 \
  X(kGetVringBase, 11, "GET_VRING_BASE", kVringState, 0, kItsVring, GetVringBase)                 \
  X(kSetVringKick, 12, "SET_VRING_KICK", kU64, 1, kItsVring, SetVringKick)                        \
  X(kSetVringCall, 13, "SET_VRING_CALL", kU64, 1, kItsVring, SetVringCall)                        \
  X(kSetVringErr, 14, "SET_VRING_ERR", kU64, 1, kUntouched, SetVringErr)                          \
  X(kGetProtocolFeatures, 15, "GET_PROTOCOL_FEATURES", kNone, 0, kUntouched, GetProtocolFeatures) \
  X(kSetProtocolFeatures, 16, "SET_PROTOCOL_FEATURES", kU64, 0, kUntouched, SetProtocolFeatures)  \
  X(kGetQueueNum, 17, "GET_QUEUE_NUM", kNone, 0, kUntouched, GetQueueNum)                         \
  X(kSetVringEnable, 18, "SET_VRING_ENABLE", kVringState, 0, kItsVring, SetVringEnable)           \
  X(kSendRarp, 19, "SEND_RARP", kU64, 0, kUntouched, Ignore)                                      \
  X(kNetSetMtu, 20, "NET_SET_MTU", kU64, 0, kUntouched, Ignore)                                   \
  X(kSetBackendReqFd, 21, "SET_BACKEND_REQ_FD", kOpaque, 1, kUntouched, Unsupported)              \
  X(kIotlbMsg, 22, "IOTLB_MSG", kOpaque, 0, kUntouched, Unsupported)                              \
  X(kGetConfig, 24, "GET_CONFIG", kDeviceConfig, 0, kUntouched, Unsupported)                      \
  X(kSetConfig, 25, "SET_CONFIG", kDeviceConfig, 0, kUntouched, Unsupported)                      \
  X(kGetInflightFd, 31, "GET_INFLIGHT_FD", kOpaque, 0, kUntouched, Unsupported)                   \
  X(kSetInflightFd, 32, "SET_INFLIGHT_FD", kOpaque, 1, kUntouched, Unsupported)                   \
  X(kResetDevice, 34, "RESET_DEVICE", kNone, 0, kUntouched, Unsupported)                          \
  X(kGetMaxMemSlots, 36, "GET_MAX_MEM_SLOTS", kNone, 0, kUntouched, Unsupported)                  \
  X(kAddMemReg, 37, "ADD_MEM_REG", kOpaque, 1, kUntouched, Unsupported)                           \
  X(kRemMemReg, 38, "REM_MEM_REG", kOpaque, 1, kUntouched, Unsupported)                           \
  X(kSetStatus, 39, "SET_STATUS", kU64, 0, kUntouched, Unsupported)                               \
  X(kGetStatus, 40, "GET_STATUS", kNone, 0, kUntouched, Unsupported)

#define ZCSWITCH_VHOST_USER_REQUEST_ENUM(enumerator, code, ...) enumerator = code,
enum class VhostUserRequest : uint32_t {
  ZCSWITCH_VHOST_USER_REQUESTS(ZCSWITCH_VHOST_USER_REQUEST_ENUM)
};
#undef ZCSWITCH_VHOST_USER_REQUEST_ENUM

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

// Which vrings a request changes under the data path.
enum class DataPath : uint8_t {
  kUntouched,
  // The vring its payload names (the index of a vring state or address, the
  // low byte of a u64).
  kItsVring,
  // Every vring that is live when it arrives: it changes what they all use.
  kLiveVrings,
};

struct RequestInfo {
  VhostUserRequest request;
  absl::string_view name;
  PayloadKind payload;
  uint8_t max_fds;
  DataPath data_path;
};

// Every request zcswitch knows, in ZCSWITCH_VHOST_USER_REQUESTS's order.
absl::Span<const RequestInfo> KnownRequests();
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
