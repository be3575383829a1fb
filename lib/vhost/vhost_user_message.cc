#include "lib/vhost/vhost_user_message.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

#define ZCSWITCH_VHOST_USER_REQUEST_INFO(enumerator, code, name, payload, max_fds, data_path, \
                                         handler)                                             \
  {VhostUserRequest::enumerator, name, PayloadKind::payload, max_fds, DataPath::data_path},
constexpr RequestInfo kRequests[] = {
    ZCSWITCH_VHOST_USER_REQUESTS(ZCSWITCH_VHOST_USER_REQUEST_INFO)};
#undef ZCSWITCH_VHOST_USER_REQUEST_INFO

constexpr size_t kMaxFdsPerMessage = GuestMemory::kMaxRegions;

absl::Status Bad(const Message& m, absl::string_view check) {
  return absl::InvalidArgumentError(absl::StrCat(RequestName(m.header.request), ": ", check));
}

absl::Status ExpectSize(const Message& m, size_t want) {
  if (m.payload.size() == want) return absl::OkStatus();
  return Bad(m, absl::StrFormat("payload is %d bytes, expected %d", m.payload.size(), want));
}

}  // namespace

absl::Span<const RequestInfo> KnownRequests() { return kRequests; }

const RequestInfo* FindRequest(uint32_t request) {
  for (const RequestInfo& info : kRequests) {
    if (static_cast<uint32_t>(info.request) == request) return &info;
  }
  return nullptr;
}

std::string RequestName(uint32_t request) {
  const RequestInfo* info = FindRequest(request);
  return info != nullptr ? std::string(info->name) : absl::StrCat("request ", request);
}

Message::~Message() { CloseFds(); }

Message::Message(Message&& other) noexcept
    : header(other.header), payload(std::move(other.payload)), fds_(std::move(other.fds_)) {
  other.fds_.clear();
}

Message& Message::operator=(Message&& other) noexcept {
  if (this != &other) {
    CloseFds();
    header = other.header;
    payload = std::move(other.payload);
    fds_ = std::move(other.fds_);
    other.fds_.clear();
  }
  return *this;
}

int Message::TakeFd(size_t i) {
  const int fd = fds_[i];
  fds_[i] = -1;
  return fd;
}

void Message::CloseFds() {
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
  fds_.clear();
}

absl::Status ValidateMessage(const Message& m) {
  const RequestInfo* info = FindRequest(m.header.request);
  if (info == nullptr) return Bad(m, "unknown request");
  if ((m.header.flags & kVhostUserVersionMask) != kVhostUserVersion) {
    return Bad(m, absl::StrFormat("protocol version %d, expected 1",
                                  m.header.flags & kVhostUserVersionMask));
  }
  if (m.header.flags & kVhostUserFlagReply) return Bad(m, "a reply where a request was due");
  if (m.fds().size() > info->max_fds) {
    return Bad(
        m, absl::StrFormat("came with %d fds, takes at most %d", m.fds().size(), info->max_fds));
  }
  switch (info->payload) {
    case PayloadKind::kNone:
      // An unused u64 is tolerated: refusing it would gain nothing.
      if (m.payload.size() != 0 && m.payload.size() != sizeof(uint64_t)) {
        return ExpectSize(m, 0);
      }
      return absl::OkStatus();
    case PayloadKind::kU64:
      return ExpectSize(m, sizeof(uint64_t));
    case PayloadKind::kVringState:
      return ExpectSize(m, sizeof(VringStatePayload));
    case PayloadKind::kVringAddr:
      return ExpectSize(m, sizeof(VringAddrPayload));
    case PayloadKind::kDeviceConfig: {
      constexpr size_t kHeader = offsetof(DeviceConfigPayload, region);
      if (m.payload.size() < kHeader) return ExpectSize(m, kHeader);
      const auto config = m.As<DeviceConfigPayload>();
      if (config.size > sizeof(config.region) || m.payload.size() != kHeader + config.size) {
        return Bad(m, absl::StrFormat("config payload of %d bytes says it carries %d",
                                      m.payload.size(), config.size));
      }
      return absl::OkStatus();
    }
    case PayloadKind::kMemoryTable: {
      constexpr size_t kHeader = offsetof(MemoryTablePayload, regions);
      if (m.payload.size() < kHeader) return ExpectSize(m, kHeader);
      const auto table = m.As<MemoryTablePayload>();
      if (table.nregions == 0 || table.nregions > GuestMemory::kMaxRegions) {
        return Bad(m, absl::StrFormat("%d regions; 1 to %d allowed", table.nregions,
                                      GuestMemory::kMaxRegions));
      }
      if (absl::Status s = ExpectSize(m, kHeader + table.nregions * sizeof(MemoryRegionDesc));
          !s.ok()) {
        return s;
      }
      if (m.fds().size() != table.nregions) {
        return Bad(m, absl::StrFormat("%d regions but %d fds", table.nregions, m.fds().size()));
      }
      return absl::OkStatus();
    }
    case PayloadKind::kOpaque:
      return absl::OkStatus();
  }
  return Bad(m, "unhandled payload kind");
}

absl::StatusOr<Message> ReadMessage(int socket_fd) {
  Message m;
  iovec iov{&m.header, sizeof(m.header)};
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsPerMessage * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  // Take every fd that arrived first, so that each is closed on any error.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      m.AddFd(fd);
    }
  }
  if (n == 0) return absl::UnavailableError("connection closed");
  if (n < 0) return absl::UnavailableError(absl::StrCat("recvmsg: ", std::strerror(errno)));
  if (msg.msg_flags & MSG_CTRUNC) return absl::InvalidArgumentError("too many fds in one message");
  if (static_cast<size_t>(n) != sizeof(m.header)) {
    return absl::InvalidArgumentError(absl::StrFormat("header of %d bytes, expected 12", n));
  }
  if (m.header.size > kMaxPayload) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: payload of %d bytes, at most %d",
                                                      RequestName(m.header.request), m.header.size,
                                                      kMaxPayload));
  }
  m.payload.resize(m.header.size);
  size_t got = 0;
  while (got < m.payload.size()) {
    const ssize_t r = read(socket_fd, m.payload.data() + got, m.payload.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: timed out %d bytes into a %d-byte payload",
                          RequestName(m.header.request), got, m.payload.size()));
    }
    if (r <= 0) {
      return absl::UnavailableError(
          absl::StrFormat("%s: connection ended %d bytes into a %d-byte payload",
                          RequestName(m.header.request), got, m.payload.size()));
    }
    got += r;
  }
  return m;
}

absl::Status WriteReply(int socket_fd, uint32_t request, const void* payload, uint32_t size) {
  VhostUserHeader header{request, kVhostUserVersion | kVhostUserFlagReply, size};
  iovec iov[2] = {{&header, sizeof(header)}, {const_cast<void*>(payload), size}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = size != 0 ? 2 : 1;
  const ssize_t n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(sizeof(header) + size)) {
    return absl::UnavailableError(absl::StrCat(
        RequestName(request), ": reply not sent: ", n < 0 ? std::strerror(errno) : "short write"));
  }
  return absl::OkStatus();
}

}  // namespace zcswitch
