// The ethdev port type: any DPDK ethernet device named by devargs (a vdev such
// as "net_pcap0,rx_pcap=in.pcap" or "net_null0,no-rx=1", or a PCI address).
//
// Open() probes the device, checks it has the queues asked for and sets them
// up; the destructor stops, closes and detaches it, so a port's life is the
// object's. The data path calls rte_eth_rx_burst/rte_eth_tx_burst directly.
// The device's own xstats are the port's device xstats, a per-queue one
// ("rx_q0_packets") under its queue ("rx0", as "packets").
#ifndef ZCSWITCH_DRIVERS_ETHDEV_ETHDEV_PORT_H_
#define ZCSWITCH_DRIVERS_ETHDEV_ETHDEV_PORT_H_

#include <rte_ethdev.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/control/port_driver.h"
#include "lib/control/config.h"
#include "lib/switch/port.h"

namespace zcswitch {

class EthdevPort : public Port {
 public:
  // `tx_queues`: one per forwarding lcore. RX buffers come from `pool`.
  static absl::StatusOr<std::unique_ptr<EthdevPort>> Open(const PortConfig& config,
                                                          uint16_t tx_queues, rte_mempool* pool);
  ~EthdevPort() override;

  absl::string_view type_name() const override { return "ethdev"; }
  std::string Describe() const override;
  absl::Status Start() override;
  void Stop() override;
  void RefreshLink() override;
  void AppendDeviceXstats(std::vector<PortXstat>& out) const override;
  rte_device* dma_device() const override;

 protected:
  uint16_t RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) override {
    return rte_eth_rx_burst(port_id_, queue, pkts, n);
  }
  uint16_t TxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n) override {
    return rte_eth_tx_burst(port_id_, queue, pkts, n);
  }
  void ReapTx(uint16_t queue) override { rte_eth_tx_done_cleanup(port_id_, queue, 0); }

 private:
  EthdevPort(const PortConfig& config, uint16_t port_id, uint16_t tx_queues, rte_device* device);

  std::string devargs_;
  uint16_t port_id_;
  rte_device* device_;
  bool started_ = false;
};

// The ethdev row of drivers/port_drivers.cc.
extern const PortDriver kEthdevDriver;

}  // namespace zcswitch

#endif  // ZCSWITCH_DRIVERS_ETHDEV_ETHDEV_PORT_H_
