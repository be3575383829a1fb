// A switch port as the data plane sees it: numbered RX and TX queues moving
// bursts of mbufs, a link state, and counters.
//
// Port types (ethdev, vhost-user) live in drivers/; the switch and the data
// plane know them only through this interface. The data path calls Receive()
// and Transmit() once per burst (one virtual call per burst, none per packet),
// and only from the lcore that owns the queue: RX queue q is polled by exactly
// one lcore, and TX queue i belongs to forwarding lcore i.
#ifndef ZCSWITCH_LIB_SWITCH_PORT_H_
#define ZCSWITCH_LIB_SWITCH_PORT_H_

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/base/counter.h"
#include "lib/switch/port_stats.h"

struct rte_device;

namespace zcswitch {

// What a port does with a zero-copy packet, whose buffers are lent by a
// guest until freed (docs/architecture.md, invariant 5).
enum class ZcopyTarget : uint8_t {
  kCopy,        // holds packets for as long as it likes (a guest, a software
                // queue, a tap): they are copied first (`not_prompt`)
  kCopyNoReap,  // a device that holds them and cannot be made to complete
                // them (`no_reap`): copied first
  kCopiesOut,   // copies every packet out and frees it within its transmit
                // call (a guest's receive vring): that copy is the orphan
                // rule's, so they go as they are, counted as copies
                // (`not_prompt`), and a guest-to-guest packet is copied once
  kReference,   // done with them as soon as it takes them (net_null,
                // net_pcap), or trusted to be (zcopy_ok: true)
  kReaped,      // holds them until the device completes them; the data
                // path reaps it (ReapTx) when they have waited reap_us
};

class Port {
 public:
  Port(std::string name, uint16_t rx_queues, uint16_t tx_queues)
      : name_(std::move(name)),
        serial_(next_serial_.fetch_add(1)),
        stats_(rx_queues, tx_queues),
        reaps_(std::make_unique<Counter[]>(tx_queues)) {}
  virtual ~Port() = default;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const std::string& name() const { return name_; }
  // Unique among the ports of the process's life: a port removed and added
  // again under its name is another port, with counters from zero.
  uint64_t serial() const { return serial_; }
  virtual absl::string_view type_name() const = 0;
  // A one-line description for logs and the CLI: device, driver, MAC, link.
  virtual std::string Describe() const = 0;

  uint16_t rx_queues() const { return stats_.rx_queues(); }
  uint16_t tx_queues() const { return stats_.tx_queues(); }

  // Control thread. Start() brings the port up; Stop() halts it. Neither may
  // run while a data-path lcore uses the port.
  virtual absl::Status Start() = 0;
  virtual void Stop() = 0;
  // Control thread: re-reads the link state the data path sees through
  // link_up(). Cheap enough to call every few hundred milliseconds.
  virtual void RefreshLink() = 0;

  // Counters of this port type's own beyond PortStats, appended to `out`.
  // Any thread: only counters in memory are read, which live as long as
  // the port.
  virtual void AppendXstats(std::vector<PortXstat>& out) const {}
  // Control thread only: what the device itself counts and must be asked
  // for (an ethdev's xstats).
  virtual void AppendDeviceXstats(std::vector<PortXstat>& out) const {}

  // Data path: up to `n` packets from RX queue `queue`, counted.
  uint16_t Receive(uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    const uint16_t got = RxBurst(queue, pkts, n);
    if (got != 0) Count(stats_.rx(queue), pkts, got);
    return got;
  }

  // Data path: hands up to `n` packets to TX queue `queue` and returns how
  // many were taken; the caller still owns the rest. Counted.
  uint16_t Transmit(uint16_t queue, rte_mbuf** pkts, uint16_t n) {
    // Bytes are summed before the burst: once the driver has an mbuf it may
    // free it at any time. The untaken tail is still ours to read.
    uint64_t bytes = SumBytes(pkts, n);
    const uint16_t sent = TxBurst(queue, pkts, n);
    if (sent != 0) {
      bytes -= SumBytes(pkts + sent, n - sent);
      QueueCounters& c = stats_.tx(queue);
      c.packets.Add(sent);
      c.bytes.Add(bytes);
    }
    return sent;
  }

  // Data path, TX queue `queue`'s lcore: frees what the device has finished
  // sending (rte_eth_tx_done_cleanup), so that lent guest buffers go back.
  // Counted. Only a kReaped port is asked.
  void Reap(uint16_t queue) {
    ReapTx(queue);
    reaps_[queue].Add(1);
  }
  // Any thread: how often TX queue `queue` was reaped.
  uint64_t reaps(uint16_t queue) const { return reaps_[queue].Read(); }
  ZcopyTarget zcopy_target() const { return zcopy_target_.load(std::memory_order_relaxed); }
  // Control thread: zero-copy packets are copied before they reach this
  // port from now on (its device cannot reach guest memory).
  void ForceCopy() { set_zcopy_target(ZcopyTarget::kCopy); }
  // Control thread: the device that must reach guest memory by DMA to take
  // zero-copy packets (a NIC's), or nullptr.
  virtual rte_device* dma_device() const { return nullptr; }

  // The link as the data path sees it: down while the port is stopped.
  bool link_up() const {
    return enabled_.load(std::memory_order_relaxed) && link_up_.load(std::memory_order_relaxed);
  }
  // Whether the data path polls and sends to the port (`port stop` clears
  // it). Control thread: clear it, then wait for quiescence before Stop().
  // Release and acquire: an lcore that sees a port enabled also sees what
  // Start() set up (on x86 this costs nothing).
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  void set_enabled(bool enabled) { enabled_.store(enabled, std::memory_order_release); }
  // Data path: the transmit offloads (TxOffloadCaps) the port does itself;
  // SendBurst does the others in software before handing packets over.
  uint32_t tx_offloads() const { return tx_offloads_.load(std::memory_order_relaxed); }
  PortStats& stats() { return stats_; }
  const PortStats& stats() const { return stats_; }

 protected:
  virtual uint16_t RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) = 0;
  virtual uint16_t TxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) = 0;
  virtual void ReapTx(uint16_t queue) {}
  void set_zcopy_target(ZcopyTarget target) {
    zcopy_target_.store(target, std::memory_order_relaxed);
  }
  void set_link_up(bool up) { link_up_.store(up, std::memory_order_relaxed); }
  void set_tx_offloads(uint32_t caps) { tx_offloads_.store(caps, std::memory_order_relaxed); }

 private:
  static uint64_t SumBytes(rte_mbuf* const* pkts, uint16_t n) {
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
    return bytes;
  }
  static void Count(QueueCounters& c, rte_mbuf* const* pkts, uint16_t n) {
    c.packets.Add(n);
    c.bytes.Add(SumBytes(pkts, n));
  }

  inline static std::atomic<uint64_t> next_serial_{1};
  std::string name_;
  const uint64_t serial_;
  PortStats stats_;
  std::unique_ptr<Counter[]> reaps_;  // per TX queue
  std::atomic<ZcopyTarget> zcopy_target_{ZcopyTarget::kCopy};
  std::atomic<bool> link_up_{false};
  std::atomic<bool> enabled_{true};
  std::atomic<uint32_t> tx_offloads_{0};
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_PORT_H_
