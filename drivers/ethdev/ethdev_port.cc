#include "drivers/ethdev/ethdev_port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>

#include <cstdio>
#include <vector>

#include "absl/strings/match.h"
#include "lib/zcopy/guest_dma.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"

namespace zcswitch {
namespace {

// Finds the ethdev a probed devargs string created. The device name is the
// devargs up to the first comma; for a PCI device the name EAL gives it may
// be spelt differently ("03:00.0" vs "0000:03:00.0"), which the iterator
// understands.
absl::StatusOr<uint16_t> FindPort(const std::string& devargs) {
  const std::string name = devargs.substr(0, devargs.find(','));
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port_id) == 0) return port_id;
  rte_dev_iterator it;
  if (rte_eth_iterator_init(&it, name.c_str()) == 0) {
    port_id = rte_eth_iterator_next(&it);
    rte_eth_iterator_cleanup(&it);
    if (port_id != RTE_MAX_ETHPORTS) return port_id;
  }
  return absl::NotFoundError(
      absl::StrFormat("devargs \"%s\": probed, but no ethdev port appeared", devargs));
}

// Undoes a probe that made no ethdev (a crypto or event device, say), so that
// the device does not stay probed for nothing and can be probed again.
void Unprobe(const std::string& devargs) {
  rte_devargs da{};
  if (rte_devargs_parse(&da, devargs.c_str()) != 0) return;
  if (da.bus != nullptr) rte_eal_hotplug_remove(rte_bus_name(da.bus), da.name);
  rte_devargs_reset(&da);
}

absl::Status EthError(const std::string& port, absl::string_view what, int rc) {
  return absl::InternalError(
      absl::StrFormat("port %s: %s failed: %s", port, what, rte_strerror(-rc)));
}

// "rx_q3_bytes" is {"bytes", queue "rx3"}; other names belong to the port.
PortXstat DeviceXstat(absl::string_view name, uint64_t value) {
  for (absl::string_view dir : {"rx", "tx"}) {
    const std::string prefix = absl::StrCat(dir, "_q");
    if (!absl::StartsWith(name, prefix)) continue;
    const absl::string_view rest = name.substr(prefix.size());
    const size_t underscore = rest.find('_');
    uint32_t queue;
    if (underscore == absl::string_view::npos ||
        !absl::SimpleAtoi(rest.substr(0, underscore), &queue)) {
      break;
    }
    return {std::string(rest.substr(underscore + 1)), "", absl::StrCat(dir, queue), value};
  }
  return {std::string(name), "", "", value};
}

// How the device takes zero-copy packets (docs/architecture.md, invariant 5).
// zcopy_ok says so outright: true for a device trusted to complete promptly
// (a test's net_ring), reaped if it is a NIC; false, always copied.
// Otherwise: net_null and net_pcap free packets as they take them; a NIC
// (PCI) holds them until it completes them and is reaped, if its driver can
// be (checked in Start()); everything else (net_ring, net_tap, af_packet)
// holds them as long as its reader likes.
ZcopyTarget ZcopyTargetFor(const PortConfig& config, const rte_eth_dev_info& info) {
  const bool nic = info.device != nullptr &&
                   absl::string_view(rte_bus_name(rte_dev_bus(info.device))) == "pci";
  if (config.zcopy_ok.has_value()) {
    if (!*config.zcopy_ok) return ZcopyTarget::kCopy;
    return nic ? ZcopyTarget::kReaped : ZcopyTarget::kReference;
  }
  const absl::string_view driver = info.driver_name != nullptr ? info.driver_name : "";
  if (driver == "net_null" || driver == "net_pcap") return ZcopyTarget::kReference;
  return nic ? ZcopyTarget::kReaped : ZcopyTarget::kCopy;
}

}  // namespace

EthdevPort::EthdevPort(const PortConfig& config, uint16_t port_id, uint16_t tx_queues,
                       rte_device* device)
    : Port(config.name, config.queues, tx_queues),
      devargs_(config.devargs),
      port_id_(port_id),
      device_(device) {}

absl::StatusOr<std::unique_ptr<EthdevPort>> EthdevPort::Open(const PortConfig& config,
                                                             uint16_t tx_queues,
                                                             rte_mempool* pool) {
  const int probed = rte_dev_probe(config.devargs.c_str());
  if (probed != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("port %s: cannot probe device \"%s\": %s (the daemon's EAL log says why)",
                        config.name, config.devargs, rte_strerror(-probed)));
  }
  const absl::StatusOr<uint16_t> found = FindPort(config.devargs);
  if (!found.ok()) {
    Unprobe(config.devargs);
    return found.status();
  }
  const uint16_t port_id = *found;

  // Claim the port, so that no second zcswitch port (nor a device EAL's own
  // --vdev already made) is driven from two places.
  rte_eth_dev_owner owner{};
  int rc = rte_eth_dev_owner_new(&owner.id);
  if (rc != 0) return EthError(config.name, "rte_eth_dev_owner_new", rc);
  std::snprintf(owner.name, sizeof(owner.name), "zcswitch:%s", config.name.c_str());
  rc = rte_eth_dev_owner_set(port_id, &owner);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "port %s: device %s is already in use (%s)", config.name, config.devargs,
        rte_strerror(-rc)));
  }
  rte_eth_dev_info info;
  rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) return EthError(config.name, "rte_eth_dev_info_get", rc);
  // From here the object owns the device: an early return closes it.
  std::unique_ptr<EthdevPort> port(new EthdevPort(config, port_id, tx_queues, info.device));

  if (config.queues > info.max_rx_queues || tx_queues > info.max_tx_queues) {
    return absl::InvalidArgumentError(
        absl::StrFormat("port %s: device %s has at most %d RX and %d TX queues; asked for %d RX "
                        "(queues) and %d TX (one per forwarding lcore)",
                        config.name, config.devargs, info.max_rx_queues, info.max_tx_queues,
                        config.queues, tx_queues));
  }
  rte_eth_conf conf{};
  // Jumbo frames arrive as mbuf chains; a device that can send chains must be
  // told to, or it may pick a single-segment TX path.
  conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  rc = rte_eth_dev_configure(port_id, config.queues, tx_queues, &conf);
  if (rc != 0) return EthError(config.name, "rte_eth_dev_configure", rc);
  uint16_t rx_desc = config.rx_desc;
  uint16_t tx_desc = config.tx_desc;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc);
  if (rc != 0) return EthError(config.name, "rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  int socket = rte_eth_dev_socket_id(port_id);
  if (socket < 0) socket = SOCKET_ID_ANY;
  for (uint16_t q = 0; q < config.queues; ++q) {
    rc = rte_eth_rx_queue_setup(port_id, q, rx_desc, socket, nullptr, pool);
    if (rc != 0) return EthError(config.name, "rte_eth_rx_queue_setup", rc);
  }
  for (uint16_t q = 0; q < tx_queues; ++q) {
    rc = rte_eth_tx_queue_setup(port_id, q, tx_desc, socket, nullptr);
    if (rc != 0) return EthError(config.name, "rte_eth_tx_queue_setup", rc);
  }
  port->set_zcopy_target(ZcopyTargetFor(config, info));
  return port;
}

EthdevPort::~EthdevPort() {
  Stop();
  rte_eth_dev_close(port_id_);
  if (device_ != nullptr) rte_dev_remove(device_);
}

absl::Status EthdevPort::Start() {
  const int rc = rte_eth_dev_start(port_id_);
  if (rc != 0) return EthError(name(), "rte_eth_dev_start", rc);
  started_ = true;
  // A NIC whose driver cannot free completed packets on demand would hold
  // lent guest buffers until its ring wraps: copy to it instead.
  if (zcopy_target() == ZcopyTarget::kReaped &&
      rte_eth_tx_done_cleanup(port_id_, 0, 0) == -ENOTSUP) {
    set_zcopy_target(ZcopyTarget::kCopyNoReap);
  }
  // A switch port sees every frame, whatever its destination MAC. Devices
  // that have no such mode (or are always in it) say -ENOTSUP; that is fine.
  rte_eth_promiscuous_enable(port_id_);
  RefreshLink();
  return absl::OkStatus();
}

void EthdevPort::Stop() {
  if (!started_) return;
  rte_eth_dev_stop(port_id_);
  started_ = false;
  set_link_up(false);
}

rte_device* EthdevPort::dma_device() const {
  const ZcopyTarget t = zcopy_target();
  const bool by_reference = t == ZcopyTarget::kReference || t == ZcopyTarget::kReaped;
  return by_reference && DeviceNeedsDma(device_) ? device_ : nullptr;
}

void EthdevPort::RefreshLink() {
  rte_eth_link link{};
  if (started_ && rte_eth_link_get_nowait(port_id_, &link) == 0) {
    set_link_up(link.link_status == RTE_ETH_LINK_UP);
  } else {
    set_link_up(false);
  }
}

void EthdevPort::AppendDeviceXstats(std::vector<PortXstat>& out) const {
  const int n = rte_eth_xstats_get_names(port_id_, nullptr, 0);
  if (n <= 0) return;
  std::vector<rte_eth_xstat_name> names(n);
  std::vector<rte_eth_xstat> values(n);
  if (rte_eth_xstats_get_names(port_id_, names.data(), n) != n ||
      rte_eth_xstats_get(port_id_, values.data(), n) != n) {
    return;
  }
  for (const rte_eth_xstat& x : values) {
    if (x.id < names.size()) out.push_back(DeviceXstat(names[x.id].name, x.value));
  }
}

std::string EthdevPort::Describe() const {
  rte_eth_dev_info info{};
  rte_eth_dev_info_get(port_id_, &info);
  rte_ether_addr mac{};
  rte_eth_macaddr_get(port_id_, &mac);
  char mac_text[RTE_ETHER_ADDR_FMT_SIZE];
  rte_ether_format_addr(mac_text, sizeof(mac_text), &mac);
  rte_eth_link link{};
  rte_eth_link_get_nowait(port_id_, &link);
  return absl::StrFormat("ethdev %d (%s), driver %s, MAC %s, link %s %s", port_id_, devargs_,
                         info.driver_name ? info.driver_name : "?", mac_text,
                         link.link_status == RTE_ETH_LINK_UP ? "up" : "down",
                         rte_eth_link_speed_to_str(link.link_speed));
}

namespace {

constexpr absl::string_view kEthdevKeys[] = {"devargs", "zcopy_ok", "rx_desc", "tx_desc"};

absl::Status ParseEthdevConfig(const ConfigReader& r, const YAML::Node& node,
                               const std::string& path, PortConfig& port) {
  ZC_ASSIGN_OR_RETURN(port.devargs, r.String(node["devargs"], path + ".devargs"));
  if (port.devargs.empty() || port.devargs[0] == ',') {
    return r.Error(node["devargs"], path + ".devargs", "empty device name");
  }
  if (node["zcopy_ok"]) {
    bool ok;
    ZC_ASSIGN_OR_RETURN(ok, r.Bool(node["zcopy_ok"], path + ".zcopy_ok"));
    port.zcopy_ok = ok;
  }
  for (auto [key, field] :
       {std::pair{"rx_desc", &port.rx_desc}, std::pair{"tx_desc", &port.tx_desc}}) {
    if (!node[key]) continue;
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node[key], ConfigReader::Join(path, key), 64, 16384));
    *field = static_cast<uint16_t>(v);
  }
  return absl::OkStatus();
}

}  // namespace

const PortDriver kEthdevDriver = {
    .name = "ethdev",
    .attach_key = "devargs",
    .keys = kEthdevKeys,
    .parse_config = ParseEthdevConfig,
    // One device, one port: two would poll the same queues from two lcores.
    // The device is what comes before the first comma of the devargs.
    .attachment = [](const PortConfig& config) {
      return "device " + config.devargs.substr(0, config.devargs.find(','));
    },
    .add_args = [](ArgList& args) { args.Required("DEVARGS", WordArg("DEVARGS")); },
    .from_args = [](const CommandArgs& args, PortConfig& port) -> absl::Status {
      port.devargs = args.Word("DEVARGS");
      if (port.devargs[0] == ',') return absl::InvalidArgumentError("empty device name");
      return absl::OkStatus();
    },
    // Its RX rings are filled from the shared pool, and its TX rings hold
    // mbufs until the device is done with them.
    .ring_mbufs = [](const PortConfig& config, unsigned lcores) -> unsigned {
      return config.queues * config.rx_desc + lcores * config.tx_desc;
    },
    .open = [](const PortConfig& config,
               const PortResources& resources) -> absl::StatusOr<std::unique_ptr<Port>> {
      ZC_ASSIGN_OR_RETURN(std::unique_ptr<EthdevPort> port,
                          EthdevPort::Open(config, resources.tx_queues, resources.pools.small));
      return port;
    },
};

}  // namespace zcswitch
