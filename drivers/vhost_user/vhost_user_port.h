// The vhost-user port type: a guest (QEMU, or DPDK's virtio-user) attached
// over a vhost-user socket, served by zcswitch's own backend (lib/vhost).
// In server mode the port listens on the socket; in client mode it connects
// to a front-end listening there (QEMU's server=on), and connects again every
// second while the front-end is away.
//
// The control thread runs the socket (PollSource): it accepts the front-end,
// reads and validates its messages, and lets a VhostUserDevice act on them.
// When the device starts a vring, the port publishes a LiveVring for the data
// path; to stop one it unpublishes it, waits until every lcore has been
// quiescent (docs/architecture.md, invariant 7), and only then frees it. A bad message
// closes that connection, logged with the socket and request; the port then
// waits for the front-end to come back.
//
// Port RX queue q is the guest's transmit vring 2q + 1; port TX queue t goes
// to the guest's receive vring 2 (t mod queues). When more lcores than queue
// pairs transmit to one guest, a receive vring is shared, and only then is
// it taken under a spinlock, as OVS does for vhost ports.
#ifndef ZCSWITCH_DRIVERS_VHOST_USER_VHOST_USER_PORT_H_
#define ZCSWITCH_DRIVERS_VHOST_USER_VHOST_USER_PORT_H_

#include <rte_spinlock.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/control/port_driver.h"
#include "lib/control/config.h"
#include "lib/control/poll_loop.h"
#include "lib/dataplane/quiescence.h"
#include "lib/switch/port.h"
#include "lib/vhost/vhost_user_device.h"
#include "lib/vhost/virtio_net.h"

namespace zcswitch {

class VhostUserPort : public Port, public PollSource, private VringOwner {
 public:
  // Listens on config.socket in server mode; in client mode connects to it
  // (or keeps trying). `tx_queues`: one per forwarding lcore. Guest packets
  // are copied into mbufs from `pools`.
  // With `zcopy`, guest packets may instead be lent to the switch by
  // reference (lib/zcopy), as those knobs say.
  static absl::StatusOr<std::unique_ptr<VhostUserPort>> Create(const PortConfig& config,
                                                               uint16_t tx_queues,
                                                               MbufPools pools,
                                                               Quiescence* quiescence,
                                                               const ZcopySettings* zcopy,
                                                               const GuestDmaSlot* dma = nullptr);
  ~VhostUserPort() override;

  // Control thread: the protocol state, for `show vhost`.
  const VhostUserDevice& device() const { return device_; }
  const std::string& socket_path() const { return socket_path_; }
  bool client() const { return client_; }
  bool connected() const { return conn_fd_ >= 0; }
  uint16_t queue_pairs() const { return queue_pairs_; }

  absl::string_view type_name() const override { return "vhost-user"; }
  std::string Describe() const override;
  absl::Status Start() override { return absl::OkStatus(); }
  void Stop() override {}
  void RefreshLink() override;
  void AppendXstats(std::vector<PortXstat>& out) const override;

  void AddFds(std::vector<pollfd>& fds) override;
  void Dispatch(absl::Span<const pollfd> fds) override;

 protected:
  uint16_t RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) override;
  uint16_t TxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) override;

 private:
  VhostUserPort(const PortConfig& config, uint16_t tx_queues, MbufPools pools,
                Quiescence* quiescence, const ZcopySettings* zcopy, const GuestDmaSlot* dma,
                int listen_fd);

  absl::Status StartVring(uint16_t index, const VringConfig& config,
                          std::shared_ptr<const GuestMemory> memory) override;
  uint16_t StopVring(uint16_t index) override;

  void Accept();
  void TryConnect();
  void Attach(int fd);
  void ReadMessages();
  void Disconnect(absl::string_view why);
  void CountKicks(absl::Span<const pollfd> kick_fds);

  const std::string socket_path_;
  const uint16_t queue_pairs_;
  const MbufPools pools_;
  Quiescence* const quiescence_;
  const bool shared_tx_;  // more TX queues than guest receive vrings
  const bool client_;
  const ZcopySettings* const zcopy_;  // nullptr: never lends
  int listen_fd_;  // -1 in client mode
  int conn_fd_ = -1;
  // Client mode: when to try connecting next, and whether the front-end's
  // absence was already logged.
  std::chrono::steady_clock::time_point next_connect_{};
  bool absence_logged_ = false;
  VhostUserDevice device_;
  // Published to the data path; index = vring.
  std::unique_ptr<std::atomic<LiveVring*>[]> live_;
  std::unique_ptr<VringCounters[]> counters_;
  std::unique_ptr<ZcopyCounters[]> zcopy_counters_;  // index = queue pair
  // Whether the pair's guest transmit vring may lend (it runs, with an
  // InflightTable): written by the control thread, read by xstats' readers.
  std::unique_ptr<std::atomic<bool>[]> can_lend_;  // index = queue pair
  // Set while the connection is closing: heads still lent are not waited for.
  bool closing_ = false;
  std::unique_ptr<rte_spinlock_t[]> rx_vring_locks_;  // per queue pair, if shared_tx_
};

// The vhost-user row of drivers/port_drivers.cc.
extern const PortDriver kVhostUserDriver;

}  // namespace zcswitch

#endif  // ZCSWITCH_DRIVERS_VHOST_USER_VHOST_USER_PORT_H_
