#include "drivers/vhost_user/vhost_user_port.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "lib/base/unix_listener.h"
#include "lib/offload/soft_offload.h"
#include "lib/switch/zcopy_xstats.h"

namespace zcswitch {
namespace {

// How long a stopping vring waits for its lent buffers.
constexpr uint32_t kLentWaitUs = 50000;

// What a guest with `features` takes in its receive headers (TxOffloadCaps).
uint32_t GuestRxOffloads(uint64_t features) {
  uint32_t caps = 0;
  if (features & kVirtioNetFGuestCsum) caps |= kTxOffloadL4Csum;
  // Segmentation requests may be TCP over either IP version.
  constexpr uint64_t kTso = kVirtioNetFGuestTso4 | kVirtioNetFGuestTso6;
  if ((caps & kTxOffloadL4Csum) && (features & kTso) == kTso) caps |= kTxOffloadTcpSeg;
  return caps;
}

}  // namespace

VhostUserPort::VhostUserPort(const PortConfig& config, uint16_t tx_queues, MbufPools pools,
                             Quiescence* quiescence, const ZcopySettings* zcopy,
                             const GuestDmaSlot* dma, int listen_fd)
    : Port(config.name, config.queues, tx_queues),
      socket_path_(config.socket),
      queue_pairs_(config.queues),
      pools_(pools),
      quiescence_(quiescence),
      shared_tx_(tx_queues > config.queues),
      client_(config.mode == VhostMode::kClient),
      zcopy_(zcopy),
      listen_fd_(listen_fd),
      // Features are offered once per port: a port made while zero-copy is
      // off offers IN_ORDER for its life, and with a guest that takes it
      // lends nothing, across reconnects, until the port is added again.
      device_(config.queues, this, zcopy == nullptr || !zcopy->enabled(), dma),
      live_(std::make_unique<std::atomic<LiveVring*>[]>(2 * config.queues)),
      counters_(std::make_unique<VringCounters[]>(2 * config.queues)),
      zcopy_counters_(std::make_unique<ZcopyCounters[]>(config.queues)),
      can_lend_(std::make_unique<std::atomic<bool>[]>(config.queues)),
      rx_vring_locks_(std::make_unique<rte_spinlock_t[]>(config.queues)) {
  for (uint16_t i = 0; i < 2 * queue_pairs_; ++i) live_[i].store(nullptr);
  // EnqueueBurst copies every packet into the guest and frees it at once.
  set_zcopy_target(ZcopyTarget::kCopiesOut);
  for (uint16_t q = 0; q < queue_pairs_; ++q) {
    rte_spinlock_init(&rx_vring_locks_[q]);
    can_lend_[q].store(false);
  }
}

absl::StatusOr<std::unique_ptr<VhostUserPort>> VhostUserPort::Create(const PortConfig& config,
                                                                     uint16_t tx_queues,
                                                                     MbufPools pools,
                                                                     Quiescence* quiescence,
                                                                     const ZcopySettings* zcopy,
                                                                     const GuestDmaSlot* dma) {
  if (config.mode == VhostMode::kClient) {
    auto port = std::unique_ptr<VhostUserPort>(
        new VhostUserPort(config, tx_queues, pools, quiescence, zcopy, dma, -1));
    port->TryConnect();
    return port;
  }
  // Front-ends (QEMU) may run as another user in the same group.
  absl::StatusOr<int> fd = ListenUnix(config.socket, 0660, "vhost-user socket");
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<VhostUserPort>(
      new VhostUserPort(config, tx_queues, pools, quiescence, zcopy, dma, *fd));
}

VhostUserPort::~VhostUserPort() {
  Disconnect("");
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    unlink(socket_path_.c_str());
  }
}

std::string VhostUserPort::Describe() const {
  return absl::StrFormat("vhost-user %s %s, %d queue pairs, %s", client_ ? "client" : "server",
                         socket_path_, queue_pairs_,
                         conn_fd_ >= 0
                             ? absl::StrFormat("connected, features 0x%x", device_.features())
                             : std::string("waiting for a front-end"));
}

void VhostUserPort::RefreshLink() {
  // Up while the first queue pair runs both ways.
  set_link_up(device_.live(0) && device_.live(1) && device_.enabled(1));
}

void VhostUserPort::AppendXstats(std::vector<PortXstat>& out) const {
  for (uint16_t v = 0; v < 2 * queue_pairs_; ++v) {
    const VringCounters& c = counters_[v];
    // Odd vrings are the guest's transmit vrings: what the switch receives.
    const bool guest_tx = v % 2 == 1;
    const std::string queue = absl::StrCat(guest_tx ? "rx" : "tx", v / 2);
    for (size_t e = 1; e <= kNumChainErrors; ++e) {
      out.push_back({"bad_descriptors", std::string(ChainErrorName(static_cast<ChainError>(e))),
                     queue, c.bad_chains[e].Read(),
                     "Descriptor chains that failed validation and were dropped, by reason."});
    }
    const VringCounterKind drops_here =
        guest_tx ? VringCounterKind::kTransmitDrop : VringCounterKind::kReceiveDrop;
    for (const VringCounterInfo& info : kVringCounters) {
      const uint64_t value = (c.*info.counter).Read();
      if (info.kind == VringCounterKind::kNotification) {
        out.push_back({std::string(info.name), "", queue, value, info.help});
      } else if (info.kind == drops_here) {
        out.push_back(
            {"drops", std::string(info.name), queue, value, "Packets a vring dropped, by reason."});
      }
    }
  }
  const uint64_t tsc_hz = rte_get_tsc_hz();
  for (uint16_t q = 0; q < queue_pairs_; ++q) {
    AppendZcopyXstats(zcopy_counters_[q], can_lend_[q].load(std::memory_order_relaxed), q, tsc_hz,
                      out);
  }
}

void VhostUserPort::AddFds(std::vector<pollfd>& fds) {
  fds.push_back({listen_fd_, POLLIN, 0});
  fds.push_back({conn_fd_, POLLIN, 0});  // poll ignores fd -1
  for (uint16_t v = 0; v < 2 * queue_pairs_; ++v) fds.push_back({device_.kick_fd(v), POLLIN, 0});
}

void VhostUserPort::Dispatch(absl::Span<const pollfd> fds) {
  // Before any message: one may close or replace the kick fds polled.
  CountKicks(fds.subspan(2));
  if (fds[1].revents != 0) ReadMessages();
  if (fds[0].revents & POLLIN) Accept();
  if (client_ && conn_fd_ < 0 && std::chrono::steady_clock::now() >= next_connect_) {
    TryConnect();
  }
}

void VhostUserPort::CountKicks(absl::Span<const pollfd> kick_fds) {
  for (uint16_t v = 0; v < kick_fds.size(); ++v) {
    if (!(kick_fds[v].revents & POLLIN)) continue;
    // The eventfd is non-blocking (VhostUserDevice made it so); its value
    // is the number of kicks since the last read, which resets it.
    uint64_t kicks = 0;
    if (read(kick_fds[v].fd, &kicks, sizeof(kicks)) == sizeof(kicks)) counters_[v].kicks.Add(kicks);
  }
}

void VhostUserPort::TryConnect() {
  next_connect_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(addr.sun_path)) return;
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (!absence_logged_) {
      std::fprintf(stderr,
                   "zcswitchd: port %s (%s): no front-end listening (%s); trying every second\n",
                   name().c_str(), socket_path_.c_str(), std::strerror(errno));
      absence_logged_ = true;
    }
    close(fd);
    return;
  }
  absence_logged_ = false;
  Attach(fd);
}

void VhostUserPort::Accept() {
  const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  if (conn_fd_ >= 0) {
    std::fprintf(stderr, "zcswitchd: port %s (%s): a second front-end was refused\n",
                 name().c_str(), socket_path_.c_str());
    close(fd);
    return;
  }
  Attach(fd);
}

void VhostUserPort::Attach(int fd) {
  // The connection is read and written blocking, a message at a time; a
  // front-end that stalls mid-message is cut off after a second rather than
  // holding the control thread.
  const timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  conn_fd_ = fd;
  std::fprintf(stderr, "zcswitchd: port %s (%s): front-end connected\n", name().c_str(),
               socket_path_.c_str());
}

void VhostUserPort::ReadMessages() {
  // One message per readable event: the socket is blocking, and a message
  // arrives whole (front-ends write header and payload together).
  absl::StatusOr<Message> m = ReadMessage(conn_fd_);
  if (!m.ok()) {
    Disconnect(m.status().code() == absl::StatusCode::kUnavailable ? "" : m.status().message());
    return;
  }
  if (absl::Status s = ValidateMessage(*m); !s.ok()) {
    Disconnect(s.message());
    return;
  }
  VhostUserDevice::Result r = device_.HandleMessage(*m);
  if (r.reply.has_value()) {
    absl::Status sent = WriteReply(conn_fd_, r.reply->request, r.reply->payload.data(),
                                   static_cast<uint32_t>(r.reply->payload.size()));
    if (!sent.ok() && r.status.ok()) r.status = sent;
  }
  if (!r.status.ok()) Disconnect(r.status.message());
  RefreshLink();
}

void VhostUserPort::Disconnect(absl::string_view why) {
  if (conn_fd_ < 0) return;
  if (!why.empty()) {
    std::fprintf(stderr, "zcswitchd: port %s (%s): %s; closing the connection\n", name().c_str(),
                 socket_path_.c_str(), std::string(why).c_str());
  } else {
    std::fprintf(stderr, "zcswitchd: port %s (%s): front-end disconnected\n", name().c_str(),
                 socket_path_.c_str());
  }
  closing_ = true;
  device_.Reset();  // stops every live vring, quiesced
  closing_ = false;
  close(conn_fd_);
  conn_fd_ = -1;
  set_link_up(false);
  next_connect_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
}

absl::Status VhostUserPort::StartVring(uint16_t index, const VringConfig& config,
                                       std::shared_ptr<const GuestMemory> memory) {
  absl::StatusOr<SplitQueue> queue =
      SplitQueue::Create(*memory, config.addrs, config.size, config.base,
                         (device_.features() & kVirtioRingFEventIdx) != 0);
  if (!queue.ok()) {
    return absl::Status(queue.status().code(),
                        absl::StrFormat("vring %d: %s", index, queue.status().message()));
  }
  auto live = std::make_unique<LiveVring>();
  live->memory = std::move(memory);
  live->queue = *queue;
  live->call_fd = config.call_fd;
  live->mergeable = (device_.features() & kVirtioNetFMrgRxbuf) != 0;
  live->rx_offloads = GuestRxOffloads(device_.features());
  live->discard = !config.enabled;
  // Features are set before any vring starts, and stay until the next
  // connection: what the guest takes is known by the time traffic flows.
  set_tx_offloads(live->rx_offloads);
  live->counters = &counters_[index];
  // A guest transmit vring lends only without IN_ORDER, which lent buffers
  // coming back out of order would break.
  if (index % 2 == 1 && zcopy_ != nullptr && !(device_.features() & kVirtioFInOrder)) {
    live->zcopy = zcopy_;
    live->zcopy_counters = &zcopy_counters_[index / 2];
    live->inflight = InflightTable::Create(live->queue.size(), live->memory);
    live->iova_is_va = rte_eal_iova_mode() == RTE_IOVA_VA;
  }
  if (index % 2 == 1) can_lend_[index / 2].store(live->inflight != nullptr);
  live->queue.DisableKicks();  // the data path polls
  live_[index].store(live.release(), std::memory_order_release);
  return absl::OkStatus();
}

uint16_t VhostUserPort::StopVring(uint16_t index) {
  LiveVring* live = live_[index].exchange(nullptr, std::memory_order_acq_rel);
  if (live == nullptr) return 0;
  if (index % 2 == 1) can_lend_[index / 2].store(false);
  // No lcore may still hold it once every lcore has been quiescent.
  quiescence_->Synchronize();
  // Lent buffers: wait a little for the NICs to finish with them (the
  // lcores keep reaping), so the front-end, which takes the vring back now,
  // gets them back. Those that take longer, or whose front-end is gone,
  // are dropped when they come back; their memory stays mapped until then.
  // Waiting without bound would let a stuck device stall the control thread.
  RetireInflight(*live, !closing_, kLentWaitUs);
  const uint16_t next_avail = live->queue.next_avail();
  delete live;
  return next_avail;
}

uint16_t VhostUserPort::RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) {
  LiveVring* v = live_[2 * queue + 1].load(std::memory_order_acquire);
  if (v == nullptr) return 0;
  return DequeueBurst(*v, pools_, pkts, n);
}

uint16_t VhostUserPort::TxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) {
  const uint16_t pair = queue % queue_pairs_;
  LiveVring* v = live_[2 * pair].load(std::memory_order_acquire);
  if (v == nullptr) return 0;
  if (!shared_tx_) return EnqueueBurst(*v, pkts, n);
  rte_spinlock_lock(&rx_vring_locks_[pair]);
  const uint16_t sent = EnqueueBurst(*v, pkts, n);
  rte_spinlock_unlock(&rx_vring_locks_[pair]);
  return sent;
}

namespace {

constexpr absl::string_view kVhostUserKeys[] = {"socket", "mode"};

absl::Status ParseVhostUserConfig(const ConfigReader& r, const YAML::Node& node,
                                  const std::string& path, PortConfig& port) {
  ZC_ASSIGN_OR_RETURN(port.socket, r.String(node["socket"], path + ".socket"));
  if (port.socket.empty()) return r.Error(node["socket"], path + ".socket", "empty socket path");
  if (node["mode"]) {
    std::string mode;
    ZC_ASSIGN_OR_RETURN(mode, r.String(node["mode"], path + ".mode"));
    if (mode == "server") {
      port.mode = VhostMode::kServer;
    } else if (mode == "client") {
      port.mode = VhostMode::kClient;
    } else {
      return r.Error(node["mode"], path + ".mode",
                     absl::StrFormat("unknown mode \"%s\" (expected server or client)", mode));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const PortDriver kVhostUserDriver = {
    .name = "vhost-user",
    .attach_key = "socket",
    .keys = kVhostUserKeys,
    .parse_config = ParseVhostUserConfig,
    // Two spellings of one path ("/run/a.sock", "/run//a.sock") are one socket.
    .attachment = [](const PortConfig& config) {
      std::error_code ec;
      const std::filesystem::path path = std::filesystem::weakly_canonical(config.socket, ec);
      return "socket " + (ec ? config.socket : path.string());
    },
    .add_args = [](ArgList& args) {
      args.Required("SOCKET", WordArg("SOCKET"))
          .Optional("role", ChoiceArg("role", {"client", "server"}));
    },
    .from_args = [](const CommandArgs& args, PortConfig& port) -> absl::Status {
      port.socket = args.Word("SOCKET");
      if (args.Has("role") && args.Word("role") == "client") port.mode = VhostMode::kClient;
      return absl::OkStatus();
    },
    // Jumbo frames from guests land in one mbuf each rather than a chain.
    .large_mbufs = true,
    // Its rings are the guest's: packets are copied in and out within the
    // burst, but for those lent: at most half of a transmit vring (of up to
    // 1024, as QEMU and virtio-user make them) per queue, in two mbufs each
    // as a rule.
    .ring_mbufs = [](const PortConfig& config, unsigned) -> unsigned {
      return config.queues * 1024u;
    },
    .open = [](const PortConfig& config,
               const PortResources& resources) -> absl::StatusOr<std::unique_ptr<Port>> {
      ZC_ASSIGN_OR_RETURN(std::unique_ptr<VhostUserPort> port,
                          VhostUserPort::Create(config, resources.tx_queues, resources.pools,
                                                resources.quiescence, resources.zcopy,
                                                resources.dma));
      return port;
    },
};

}  // namespace zcswitch
