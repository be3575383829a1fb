// libFuzzer target: a front-end's whole conversation with the back-end.
// The input is a stream of vhost-user messages (12-byte header, then the
// payload it announces). Each message gets the fds its request carries, real
// ones: a memfd per memory region, an eventfd for kick/call/err. Each is
// validated and handed to a VhostUserDevice whose owner sets up SplitQueues
// as the port does. Whatever the bytes, nothing crashes, leaks or touches
// memory outside the maps (ASan, UBSan and LeakSanitizer watch).
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "lib/vhost/vhost_user_device.h"

namespace zcswitch {
namespace {

// Starts vrings as the port would, without a data path.
class QueueOwner : public VringOwner {
 public:
  absl::Status StartVring(uint16_t index, const VringConfig& config,
                          std::shared_ptr<const GuestMemory> memory) override {
    absl::StatusOr<SplitQueue> q =
        SplitQueue::Create(*memory, config.addrs, config.size, config.base, false);
    if (!q.ok()) return q.status();
    queues_[index] = {std::move(memory), *q};
    // Touch the rings, as the data path would.
    queues_[index].second.AvailCount();
    return absl::OkStatus();
  }
  uint16_t StopVring(uint16_t index) override {
    const uint16_t next = queues_[index].second.next_avail();
    queues_.erase(index);
    return next;
  }

 private:
  std::map<uint16_t, std::pair<std::shared_ptr<const GuestMemory>, SplitQueue>> queues_;
};

void AddFds(Message& m) {
  const auto request = static_cast<VhostUserRequest>(m.header.request);
  if (request == VhostUserRequest::kSetMemTable && m.payload.size() >= 4) {
    uint32_t n;
    std::memcpy(&n, m.payload.data(), 4);
    for (uint32_t i = 0; i < n && i < GuestMemory::kMaxRegions; ++i) {
      const int fd = memfd_create("zc-fuzz-mem", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, 1 << 20) != 0) abort();
      m.AddFd(fd);
    }
  } else if ((request == VhostUserRequest::kSetVringKick ||
              request == VhostUserRequest::kSetVringCall ||
              request == VhostUserRequest::kSetVringErr) &&
             m.payload.size() == 8 && !(m.payload[1] & 1)) {
    m.AddFd(eventfd(0, EFD_CLOEXEC));
  }
}

}  // namespace
}  // namespace zcswitch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcswitch;
  QueueOwner owner;
  VhostUserDevice device(2, &owner);
  size_t at = 0;
  while (at + sizeof(VhostUserHeader) <= size) {
    Message m;
    std::memcpy(&m.header, data + at, sizeof(m.header));
    at += sizeof(m.header);
    const size_t len = std::min<size_t>(m.header.size, size - at);
    if (len > kMaxPayload) break;
    m.header.size = static_cast<uint32_t>(len);
    m.payload.assign(data + at, data + at + len);
    at += len;
    AddFds(m);
    if (!ValidateMessage(m).ok()) continue;
    VhostUserDevice::Result r = device.HandleMessage(m);
    if (!r.status.ok()) device.Reset();  // the port would close the connection
  }
  return 0;
}
