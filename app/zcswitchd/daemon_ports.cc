// Ports added and removed while forwarding runs: `port add` and `port del`.
//
// A port is added by opening and starting it, giving it the lowest free id,
// and publishing a new plan (port table and engines) to the data plane. A
// port is removed by publishing a plan without it: once every lcore has been
// quiescent (DESIGN invariant 7), none polls it, sends to it or holds an
// engine that knows it, and only then are its FDB entries forgotten and the
// port stopped and destroyed. Other ports' queues stay on their lcores, so
// traffic between them carries on throughout.
#include <rte_mempool.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "app/zcswitchd/daemon.h"
#include "drivers/ethdev/ethdev_port.h"
#include "drivers/vhost_user/vhost_user_port.h"
#include "lib/base/status_macros.h"
#include "lib/control/port_spec.h"

namespace zcswitch {
namespace {

// Port ids are 16 bits in the FDB; far fewer ports are useful on one host.
constexpr size_t kMaxPorts = 1024;

// Jumbo frames from guests land in one mbuf each rather than a chain of
// five: one allocation and one copy stream per packet.
constexpr unsigned kJumboMbufs = 4095;
constexpr uint16_t kJumboDataRoom = RTE_PKTMBUF_HEADROOM + 9856;  // a 9728 B frame + header room

// What a port added at run time leaves free in the shared pool, for the
// packets in flight between ports.
constexpr unsigned kMbufReserve = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<Port>> Daemon::OpenPort(const PortConfig& config) {
  const auto tx_queues = static_cast<uint16_t>(config_.forwarding.lcores.size());
  if (config.type == PortType::kEthdev) {
    ZC_ASSIGN_OR_RETURN(std::unique_ptr<EthdevPort> port,
                        EthdevPort::Open(config, tx_queues, pool_.get()));
    return port;
  }
  if (jumbo_pool_ == nullptr) {
    ZC_ASSIGN_OR_RETURN(jumbo_pool_, CreateMbufPool("zc_jumbo", kJumboMbufs, rte_socket_id(),
                                                    kJumboDataRoom));
  }
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<VhostUserPort> port,
                      VhostUserPort::Create(config, tx_queues, {pool_.get(), jumbo_pool_.get()},
                                            quiescence_.get()));
  return port;
}

// An ethdev's RX rings are filled from the shared pool, and its TX rings
// hold mbufs until the device is done with them. The pool was sized for the
// configured ports with room to spare; a port added later may use that
// room, but not so much of it that packets in flight run short.
absl::Status Daemon::CheckMbufsFor(const PortConfig& config) const {
  const unsigned need = config.queues * config.rx_desc +
                        config_.forwarding.lcores.size() * config.tx_desc;
  const unsigned free = rte_mempool_avail_count(pool_.get());
  if (need + kMbufReserve > free) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "port %s would hold up to %d mbufs in its rings, and the pool has %d free (%d are kept "
        "for packets in flight); configure it at start instead",
        config.name, need, free, kMbufReserve));
  }
  return absl::OkStatus();
}

void Daemon::AddPortCommands() {
  // The whole usage is long; `port add` alone prints it.
  commands_.Add("port add", "NAME TYPE ARG [OPT...]",
                "add a vhost-user SOCKET or ethdev DEVARGS port while forwarding",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  ZC_ASSIGN_OR_RETURN(PortConfig config, ParsePortSpec(args));
                  return AddPort(config);
                });
  commands_.Add("port del", "NAME",
                "remove a port while forwarding (its FDB entries go with it)",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  return RemovePort(args);
                });
}

absl::Status Daemon::PublishPorts() {
  ZC_ASSIGN_OR_RETURN(Engines engines, BuildEngines());
  Engines previous = std::exchange(engines_, std::move(engines));
  absl::Status published =
      dataplane_->SetPorts(PortTable(), EngineFor(mode_), {pool_.get(), jumbo_pool_.get()});
  if (!published.ok()) engines_ = std::move(previous);
  // Otherwise `previous` goes here: no lcore can be inside it any more.
  return published;
}

absl::StatusOr<CommandReply> Daemon::AddPort(const PortConfig& config) {
  if (dataplane_ == nullptr) return absl::UnavailableError("not set up yet");
  ZC_RETURN_IF_ERROR(CheckPortFits(config, port_configs_));
  const size_t id = std::find(ports_.begin(), ports_.end(), nullptr) - ports_.begin();
  if (id >= kMaxPorts) {
    return absl::ResourceExhaustedError(absl::StrFormat("%d ports is the most", kMaxPorts));
  }
  if (config.type == PortType::kEthdev) ZC_RETURN_IF_ERROR(CheckMbufsFor(config));
  absl::StatusOr<std::unique_ptr<Port>> port = OpenPort(config);
  ZC_RETURN_IF_ERROR(port.ok() ? (*port)->Start() : port.status());
  Port* const added = port->get();
  std::lock_guard<std::mutex> lock(topology_mu_);
  if (id == ports_.size()) {
    ports_.emplace_back();
    port_configs_.emplace_back();
    port_names_.emplace_back();
  }
  ports_[id] = *std::move(port);
  port_configs_[id] = config;
  port_names_[id] = config.name;
  if (absl::Status published = PublishPorts(); !published.ok()) {
    ports_[id].reset();
    port_configs_[id] = {};
    port_names_[id].clear();
    return published;
  }
  if (auto* source = dynamic_cast<PollSource*>(added)) poll_sources_.push_back(source);
  std::fprintf(stderr, "zcswitchd: port %s added: %s\n", config.name.c_str(),
               added->Describe().c_str());
  return CommandReply{{{"port", config.name}, {"id", id}},
                      absl::StrFormat("port %s added (id %d): %s\n", config.name, id,
                                      added->Describe())};
}

absl::StatusOr<CommandReply> Daemon::RemovePort(absl::Span<const std::string> args) {
  if (dataplane_ == nullptr) return absl::UnavailableError("not set up yet");
  ZC_ASSIGN_OR_RETURN(Port * port, FindPort(args, "port del NAME"));
  const size_t id = PortId(*port);
  std::unique_ptr<Port> gone;
  {
    std::lock_guard<std::mutex> lock(topology_mu_);
    gone = std::move(ports_[id]);
    PortConfig config = std::exchange(port_configs_[id], {});
    std::string name = std::exchange(port_names_[id], "");
    // Returns once no lcore can reach the port.
    if (absl::Status published = PublishPorts(); !published.ok()) {
      ports_[id] = std::move(gone);
      port_configs_[id] = std::move(config);
      port_names_[id] = std::move(name);
      return published;
    }
  }
  std::erase(poll_sources_, dynamic_cast<PollSource*>(gone.get()));
  // Nothing learns on the port any more, so nothing brings these back.
  const size_t forgotten = fdb_->ForgetPort(static_cast<uint16_t>(id));
  if (id < link_was_up_.size()) link_was_up_[id] = false;
  gone->Stop();
  gone.reset();
  std::fprintf(stderr, "zcswitchd: port %s removed\n", args[0].c_str());
  return CommandReply{{{"port", args[0]}, {"removed", true}, {"fdb_entries_removed", forgotten}},
                      absl::StrFormat("port %s removed (%d FDB entries with it)\n", args[0],
                                      forgotten)};
}

}  // namespace zcswitch
