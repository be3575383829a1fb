#include "app/zcswitchd/daemon.h"

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "drivers/ethdev/ethdev_port.h"
#include "app/zcswitchd/vhost_info.h"
#include "drivers/vhost_user/vhost_user_port.h"
#include "lib/base/status_macros.h"
#include "lib/control/stats_commands.h"
#include "lib/control/stats_delta.h"
#include "lib/control/stats_text.h"
#include "lib/control/fdb_commands.h"
#include "lib/offload/soft_offload.h"
#include "lib/switch/fwd_io.h"
#include "lib/switch/fwd_l2switch.h"
#include "lib/switch/fwd_macswap.h"

namespace zcswitch {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signo) { g_stop_signal.store(signo); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A control client that hangs up mid-reply must not kill the daemon.
  signal(SIGPIPE, SIG_IGN);
}

// Mbufs for every RX ring and every TX ring to be full at once, plus each
// lcore's burst and mempool cache, plus headroom for devices that hold
// packets of their own (net_pcap's infinite_rx keeps its whole file).
// vhost-user ports hold no mbufs: their rings are the guest's, and packets
// are copied into and out of them within the burst.
unsigned PoolSize(const Config& config) {
  const unsigned lcores = config.forwarding.lcores.size();
  unsigned n = 0;
  for (const PortConfig& p : config.ports) {
    if (p.type == PortType::kEthdev) n += p.queues * p.rx_desc + lcores * p.tx_desc;
  }
  return n + lcores * (Dataplane::kBurst + 256) + 16384;
}

void Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

PortVlan VlanOf(const PortConfig& p) {
  if (p.vlan) return PortVlan::Access(*p.vlan);
  return p.trunk.empty() ? PortVlan::Untagged() : PortVlan::Trunk(p.trunk);
}

std::string VlanText(const PortVlan& v) {
  switch (v.kind()) {
    case PortVlan::Kind::kAccess:
      return absl::StrCat("access ", v.access_vlan());
    case PortVlan::Kind::kTrunk:
      return absl::StrCat("trunk ", absl::StrJoin(v.Vlans(), ","));
    case PortVlan::Kind::kUntagged:
      break;
  }
  return "untagged";
}

std::vector<std::string> OffloadNames(uint32_t caps) {
  std::vector<std::string> names;
  if (caps & kTxOffloadL4Csum) names.push_back("l4_csum");
  if (caps & kTxOffloadTcpSeg) names.push_back("tcp_seg");
  return names;
}

}  // namespace

Daemon::Daemon(Config config, DaemonOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

Daemon::~Daemon() { Teardown(); }

int Daemon::Run() {
  // From the start, so that a signal during set-up still ends in an orderly
  // teardown; a second signal kills outright.
  InstallSignalHandlers();
  // The sockets first: a second daemon pointed at the same ones must fail
  // before it probes a single device.
  if (absl::Status s = ClaimSockets(); !s.ok()) {
    std::fprintf(stderr, "zcswitchd: %s\n", std::string(s.message()).c_str());
    Teardown();
    return kExitFailure;
  }
  if (absl::Status s = Setup(); !s.ok()) {
    std::fprintf(stderr, "zcswitchd: %s\n", std::string(s.message()).c_str());
    Teardown();
    return s.code() == absl::StatusCode::kInvalidArgument ? kExitBadConfig : kExitFailure;
  }
  Serve();
  Teardown();
  return kExitOk;
}

absl::Status Daemon::CheckLcores() const {
  const auto& lcores = config_.forwarding.lcores;
  for (size_t i = 0; i < lcores.size(); ++i) {
    if (lcores[i] == rte_get_main_lcore() || !rte_lcore_is_enabled(lcores[i])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: forwarding.lcores[%d]: lcore %d is not an EAL worker lcore (give EAL -l "
          "with it, and a main lcore other than it; the main lcore is %d)",
          config_.source, i, lcores[i], rte_get_main_lcore()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Daemon::Engines> Daemon::BuildEngines() const {
  std::vector<PortVlan> vlans;
  for (const PortConfig& p : port_configs_) {
    // A free id carries no VLAN, so it is in no flood list.
    vlans.push_back(p.name.empty() ? PortVlan::Trunk({}) : VlanOf(p));
  }
  // A pair works while both its ports are there.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& pair : config_.forwarding.pairs) {
    if (std::count(port_names_.begin(), port_names_.end(), pair.first) != 0 &&
        std::count(port_names_.begin(), port_names_.end(), pair.second) != 0) {
      pairs.push_back(pair);
    }
  }
  Engines e;
  e.l2switch = std::make_unique<L2SwitchEngine>(fdb_.get(), VlanMap(std::move(vlans)),
                                                config_.forwarding.lcores.size());
  ZC_ASSIGN_OR_RETURN(e.io, IoEngine::Create(pairs, port_names_));
  e.macswap = std::make_unique<MacswapEngine>();
  return e;
}

FwdEngine* Daemon::EngineFor(FwdMode mode) const {
  switch (mode) {
    case FwdMode::kL2Switch:
      return engines_.l2switch.get();
    case FwdMode::kIo:
      return engines_.io.get();
    case FwdMode::kMacswap:
      return engines_.macswap.get();
  }
  return nullptr;
}

std::vector<Port*> Daemon::PortTable() const {
  std::vector<Port*> table;
  for (const auto& port : ports_) table.push_back(port.get());
  return table;
}

// testpmd's words: `start` and `stop` forwarding; `port start|stop NAME`.
void Daemon::AddRunCommands() {
  commands_.Add("start", "", "start forwarding (after stop)",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  if (!args.empty()) return absl::InvalidArgumentError("usage: start");
                  if (dataplane_ == nullptr) return absl::UnavailableError("not set up yet");
                  if (dataplane_->running()) {
                    return absl::FailedPreconditionError("already forwarding");
                  }
                  ZC_RETURN_IF_ERROR(dataplane_->Start());
                  return CommandReply{{{"forwarding", true}}, "forwarding started\n"};
                });
  commands_.Add("stop", "", "stop forwarding: the lcores stop polling; ports stay up",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  if (!args.empty()) return absl::InvalidArgumentError("usage: stop");
                  if (dataplane_ == nullptr || !dataplane_->running()) {
                    return absl::FailedPreconditionError("not forwarding");
                  }
                  dataplane_->Stop();
                  return CommandReply{{{"forwarding", false}}, "forwarding stopped\n"};
                });
  commands_.Add("show vhost", "NAME",
                "a vhost-user port's connection, features, vrings and memory regions",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  ZC_ASSIGN_OR_RETURN(Port * port, FindPort(args, "show vhost NAME"));
                  const auto* vhost = dynamic_cast<const VhostUserPort*>(port);
                  if (vhost == nullptr) {
                    return absl::InvalidArgumentError(
                        absl::StrFormat("port %s is not a vhost-user port", args[0]));
                  }
                  return VhostInfo(*vhost);
                });
  commands_.Add(
      "port stop", "NAME|all", "stop a port: not polled, traffic to it dropped as link_down",
      [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
        ZC_ASSIGN_OR_RETURN(std::vector<Port*> ports,
                            PortsToSwitch(args, "port stop NAME|all", /*now_started=*/true));
        if (ports.empty()) return PortsSwitched(args[0], ports, false);
        for (Port* port : ports) port->set_enabled(false);
        // No lcore is inside the ports once every lcore has been quiescent.
        quiescence_->Synchronize();
        for (Port* port : ports) {
          port->Stop();
          port->RefreshLink();
          fdb_->FlushPort(static_cast<uint16_t>(PortId(*port)));
        }
        return PortsSwitched(args[0], ports, false);
      });
  commands_.Add(
      "port start", "NAME|all", "start a stopped port",
      [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
        ZC_ASSIGN_OR_RETURN(std::vector<Port*> ports,
                            PortsToSwitch(args, "port start NAME|all", /*now_started=*/false));
        // Every port is tried; one that fails to start does not keep the
        // others down.
        std::vector<Port*> started;
        absl::Status failed;
        std::vector<std::string> errors;
        for (Port* port : ports) {
          if (absl::Status s = port->Start(); !s.ok()) {
            if (failed.ok()) failed = s;
            errors.emplace_back(s.message());
            continue;
          }
          port->set_enabled(true);
          started.push_back(port);
        }
        if (failed.ok()) return PortsSwitched(args[0], ports, true);
        if (ports.size() == 1) return failed;
        std::vector<std::string> names;
        for (const Port* port : started) names.push_back(port->name());
        return absl::Status(failed.code(),
                            absl::StrCat(absl::StrJoin(errors, "; "), "; started: ",
                                         names.empty() ? "none" : absl::StrJoin(names, " ")));
      });
}

absl::StatusOr<std::vector<Port*>> Daemon::PortsToSwitch(absl::Span<const std::string> args,
                                                         absl::string_view usage,
                                                         bool now_started) const {
  if (args.size() == 1 && args[0] == "all") {
    std::vector<Port*> ports;
    for (const auto& port : ports_) {
      if (port != nullptr && port->enabled() == now_started) ports.push_back(port.get());
    }
    return ports;
  }
  ZC_ASSIGN_OR_RETURN(Port * port, FindPort(args, usage));
  if (port->enabled() != now_started) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "port %s is already %s", port->name(), now_started ? "stopped" : "started"));
  }
  return std::vector<Port*>{port};
}

CommandReply Daemon::PortsSwitched(absl::string_view arg, const std::vector<Port*>& ports,
                                   bool started) {
  const char* done = started ? "started" : "stopped";
  if (arg != "all") {
    return CommandReply{{{"port", arg}, {"started", started}},
                        absl::StrFormat("port %s %s\n", arg, done)};
  }
  nlohmann::json names = nlohmann::json::array();
  std::string text;
  for (const Port* port : ports) {
    names.push_back(port->name());
    absl::StrAppend(&text, absl::StrFormat("port %s %s\n", port->name(), done));
  }
  if (ports.empty()) text = absl::StrFormat("every port is already %s\n", done);
  return CommandReply{{{"ports", names}, {"started", started}}, text};
}

absl::StatusOr<Port*> Daemon::FindPort(absl::Span<const std::string> args,
                                       absl::string_view usage) const {
  if (args.size() != 1) return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
  for (const auto& port : ports_) {
    if (port != nullptr && port->name() == args[0]) return port.get();
  }
  return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", args[0]));
}

size_t Daemon::PortId(const Port& port) const {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i].get() == &port) return i;
  }
  return ports_.size();
}

// testpmd's words: `set fwd MODE`, `show fwd`.
void Daemon::AddModeCommands() {
  commands_.Add("set fwd", "l2switch|io|macswap", "switch the forwarding mode while running",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  std::optional<FwdMode> mode;
                  if (args.size() == 1) mode = ParseFwdMode(args[0]);
                  if (!mode) return absl::InvalidArgumentError("usage: set fwd l2switch|io|macswap");
                  if (dataplane_ == nullptr) return absl::UnavailableError("not forwarding yet");
                  if (*mode == FwdMode::kIo && config_.forwarding.pairs.empty()) {
                    return absl::FailedPreconditionError(
                        "io mode needs port pairs (forwarding.pairs in the configuration)");
                  }
                  {
                    std::lock_guard<std::mutex> lock(topology_mu_);
                    dataplane_->SetEngine(EngineFor(*mode));
                  }
                  mode_ = *mode;
                  std::fprintf(stderr, "zcswitchd: forwarding mode %s\n", args[0].c_str());
                  return CommandReply{{{"mode", args[0]}},
                                      absl::StrFormat("forwarding mode: %s\n", args[0])};
                });
  commands_.Add("show fwd", "", "the forwarding mode, and whether forwarding runs",
                [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                  if (!args.empty()) return absl::InvalidArgumentError("usage: show fwd");
                  const std::string mode(FwdModeName(mode_));
                  const bool running = dataplane_ != nullptr && dataplane_->running();
                  return CommandReply{{{"mode", mode}, {"forwarding", running}},
                                      absl::StrFormat("forwarding mode: %s%s\n", mode,
                                                      running ? "" : " (stopped)")};
                });
}

absl::Status Daemon::ClaimSockets() {
  if (!options_.control_socket.empty()) {
    commands_.Add("help", "[WORD...]", "list the commands (those starting with WORD...)",
                  [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                    CommandReply reply = commands_.HelpReply(args);
                    if (reply.data["commands"].empty()) {
                      return absl::NotFoundError(absl::StrFormat(
                          "no command starts with \"%s\"", absl::StrJoin(args, " ")));
                    }
                    return reply;
                  });
    AddStatsCommands(commands_, [this] { return Snapshot(SnapshotDepth::kFull); });
    AddModeCommands();
    AddRunCommands();
    AddPortCommands();
    commands_.Add("shutdown", "", "stop forwarding and exit (as SIGTERM does)",
                  [this](absl::Span<const std::string> args) -> absl::StatusOr<CommandReply> {
                    if (!args.empty()) return absl::InvalidArgumentError("usage: shutdown");
                    shutdown_requested_ = true;
                    return CommandReply{nlohmann::json::object(), "shutting down\n"};
                  });
    ZC_ASSIGN_OR_RETURN(control_, ControlSocket::Listen(options_.control_socket, &commands_));
    std::fprintf(stderr, "zcswitchd: control socket %s\n", control_->path().c_str());
  }
  if (!options_.metrics_address.empty()) {
    ZC_ASSIGN_OR_RETURN(metrics_, MetricsExposer::Start(options_.metrics_address,
                                                        [this] { return Snapshot(); }));
    const std::string host =
        options_.metrics_address.substr(0, options_.metrics_address.rfind(':'));
    std::fprintf(stderr, "zcswitchd: metrics on http://%s:%d/metrics\n", host.c_str(),
                 metrics_->port());
  }
  return absl::OkStatus();
}

absl::Status Daemon::Setup() {
  std::vector<std::string> eal_args = config_.eal;
  eal_args.insert(eal_args.end(), options_.extra_eal_args.begin(), options_.extra_eal_args.end());
  ZC_ASSIGN_OR_RETURN(eal_, EalSession::Init(eal_args));
  ZC_RETURN_IF_ERROR(CheckLcores());
  // DPDK's telemetry socket (unless the EAL arguments say --no-telemetry)
  // answers /zcswitch/... from its own thread, through any-thread snapshots.
  ZC_ASSIGN_OR_RETURN(telemetry_, TelemetryCommands::Register([this] { return Snapshot(); }));

  ZC_ASSIGN_OR_RETURN(pool_, CreateMbufPool("zc_mbufs", PoolSize(config_), rte_socket_id()));
  ZC_ASSIGN_OR_RETURN(quiescence_, Quiescence::Create(config_.forwarding.lcores.size()));
  for (size_t i = 0; i < config_.ports.size(); ++i) {
    const PortConfig& pc = config_.ports[i];
    absl::StatusOr<std::unique_ptr<Port>> port = OpenPort(pc);
    if (!port.ok()) {
      // A socket that cannot be made, or a device that cannot be probed, is
      // taken, or lacks the queues or descriptors asked for, is a
      // configuration problem: name where it came from, and exit as for any
      // bad configuration.
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: ports[%d].%s: %s", config_.source, i,
                          pc.type == PortType::kVhostUser ? "socket" : "devargs",
                          port.status().message()));
    }
    if (auto* source = dynamic_cast<PollSource*>(port->get())) poll_sources_.push_back(source);
    ports_.push_back(*std::move(port));
    port_configs_.push_back(pc);
    port_names_.push_back(pc.name);
  }
  ZC_ASSIGN_OR_RETURN(fdb_, Fdb::Create({.aging_s = config_.fdb.aging_s,
                                         .lcores = static_cast<unsigned>(config_.forwarding.lcores.size()),
                                         .qsbr = quiescence_->qsbr()}));
  for (const StaticFdbEntry& e : config_.fdb.static_entries) {
    // The configuration checked that the port exists.
    const auto port = std::find(port_names_.begin(), port_names_.end(), e.port);
    rte_ether_addr mac;
    std::copy(e.mac.bytes.begin(), e.mac.bytes.end(), mac.addr_bytes);
    ZC_RETURN_IF_ERROR(
        fdb_->AddStatic(mac, e.vlan, static_cast<uint16_t>(port - port_names_.begin())));
  }
  ZC_ASSIGN_OR_RETURN(engines_, BuildEngines());
  mode_ = config_.forwarding.mode;
  if (control_ != nullptr) {
    AddFdbCommands(
        commands_, fdb_.get(), [this]() -> const VlanMap& { return engines_.l2switch->vlans(); },
        &port_names_);
  }
  for (auto& port : ports_) {
    ZC_RETURN_IF_ERROR(port->Start());
    std::fprintf(stderr, "zcswitchd: port %s: %s\n", port->name().c_str(),
                 port->Describe().c_str());
  }

  dataplane_ = std::make_unique<Dataplane>(PortTable(), EngineFor(mode_), config_.forwarding.lcores,
                                           config_.forwarding.tx_retries,
                                           MbufPools{pool_.get(), jumbo_pool_.get()}, quiescence_.get());
  ZC_RETURN_IF_ERROR(dataplane_->Start());

  started_tsc_ = rte_rdtsc();
  running_.store(true, std::memory_order_release);
  std::fprintf(stderr, "zcswitchd: forwarding (%s) with %zu ports on %zu lcores\n",
               std::string(FwdModeName(mode_)).c_str(), ports_.size(), dataplane_->num_lcores());
  if (options_.interactive) ZC_RETURN_IF_ERROR(StartPrompt());
  return absl::OkStatus();
}

absl::Status Daemon::StartPrompt() {
  prompt_client_ = std::make_unique<ControlClient>(options_.control_socket);
  // From the table itself: the control thread, which would answer `help`,
  // is this one.
  ZC_ASSIGN_OR_RETURN(CommandCompletion commands,
                      CommandCompletion::FromHelp(commands_.HelpReply().data));
  ZC_ASSIGN_OR_RETURN(prompt_, CommandPrompt::Open(prompt_client_.get(), std::move(commands),
                                                   {.program = "zcswitchd",
                                                    .history_file = DefaultHistoryFile()}));
  prompt_thread_ = std::thread([this] {
    // quit, exit or the end of input stop the daemon, as testpmd's quit does.
    if (prompt_->Run() == CommandPrompt::End::kQuit) {
      const std::vector<std::string> shutdown = {"shutdown"};
      (void)prompt_client_->Run(shutdown);
    }
  });
  return absl::OkStatus();
}

void Daemon::Serve() {
  InstallSignalHandlers();
  started_ = std::chrono::steady_clock::now();
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::seconds(options_.stats_period_s);
  auto next_stats = Clock::now() + period;
  auto next_link_check = Clock::now();
  SwitchSnapshot last = Snapshot();
  while (g_stop_signal.load() == 0 && !shutdown_requested_) {
    std::vector<PollSource*> sources = poll_sources_;
    // The control socket goes last: a command may remove a port, which must
    // not be dispatched after it in the same round.
    if (control_ != nullptr) sources.push_back(control_.get());
    // Often enough that a new MAC is learned within milliseconds.
    PollOnce(sources, 10);
    if (Clock::now() >= next_link_check) {
      next_link_check = Clock::now() + std::chrono::milliseconds(100);
      RefreshLinks();
    }
    MaintainFdb();
    if (options_.stats_period_s > 0 && Clock::now() >= next_stats) {
      next_stats += period;
      SwitchSnapshot now = Snapshot();
      Print(FormatPortStats(now, PortRates(now, last)) + FormatLcoreStats(Subtract(now, last)) +
            FdbText() + "\n");
      last = std::move(now);
    }
  }
  std::fprintf(stderr, "zcswitchd: %s, stopping\n",
               shutdown_requested_ ? "shutdown command" : strsignal(g_stop_signal.load()));
}

// The FDB forgets what was behind a port whose link went down: whatever
// comes back may not be the same.
void Daemon::RefreshLinks() {
  link_was_up_.resize(ports_.size(), false);
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == nullptr) continue;
    ports_[i]->RefreshLink();
    const bool up = ports_[i]->link_up();
    if (link_was_up_[i] && !up) fdb_->FlushPort(static_cast<uint16_t>(i));
    link_was_up_[i] = up;
  }
}

// Learning and ageing.
void Daemon::MaintainFdb() {
  const auto age = std::chrono::steady_clock::now() - started_;
  fdb_->Maintain(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(age).count()));
}

// The FDB table, in the printed reports of l2switch mode.
std::string Daemon::FdbText() const {
  if (mode_ != FwdMode::kL2Switch || fdb_ == nullptr) return "";
  return FormatFdb(*fdb_, port_names_);
}

void Daemon::Teardown() {
  if (prompt_ != nullptr) prompt_->Interrupt();
  // Also fails a request the prompt is waiting on, so the join cannot hang.
  control_.reset();
  if (prompt_thread_.joinable()) prompt_thread_.join();
  prompt_.reset();  // gives the terminal back before the final report
  prompt_client_.reset();
  metrics_.reset();
  telemetry_.reset();
  if (dataplane_ != nullptr) {
    dataplane_->Stop();
    const SwitchSnapshot final_counters = Snapshot();
    for (auto& port : ports_) {
      if (port != nullptr) port->Stop();
    }
    Print("Final port statistics\n" + FormatPortStats(final_counters, {}) +
          "Final lcore statistics\n" + FormatLcoreStats(final_counters) + FdbText());
    dataplane_.reset();
  }
  running_.store(false, std::memory_order_release);
  poll_sources_.clear();
  engines_ = {};
  fdb_.reset();
  ports_.clear();
  quiescence_.reset();
  jumbo_pool_.reset();
  pool_.reset();
  eal_.reset();
}

SwitchSnapshot Daemon::Snapshot(SnapshotDepth depth) const {
  SwitchSnapshot s;
  // The metrics exposer's threads call this from before set-up is done; the
  // port and lcore lists are only read once they stand.
  if (!running_.load(std::memory_order_acquire)) return s;
  std::lock_guard<std::mutex> lock(topology_mu_);
  const bool full = depth == SnapshotDepth::kFull;
  s.tsc = rte_rdtsc();
  s.tsc_hz = rte_get_tsc_hz();
  s.started_tsc = started_tsc_;
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == nullptr) continue;
    const Port& port = *ports_[i];
    PortSnapshot& p = s.ports.emplace_back();
    p.name = port.name();
    p.serial = port.serial();
    p.type = std::string(port.type_name());
    p.link_up = port.link_up();
    p.started = port.enabled();
    p.counters = port.stats().Total();
    for (uint16_t q = 0; q < port.rx_queues(); ++q) p.rx_queues.push_back(port.stats().RxQueue(q));
    for (uint16_t q = 0; q < port.tx_queues(); ++q) p.tx_queues.push_back(port.stats().TxQueue(q));
    port.AppendXstats(p.xstats);
    if (full) {
      port.AppendDeviceXstats(p.device_xstats);
      p.info = PortInfo{port.Describe(), VlanText(VlanOf(port_configs_[i])),
                        OffloadNames(port.tx_offloads())};
    }
  }
  if (fdb_ != nullptr) s.fdb = fdb_->Stats();
  if (dataplane_ != nullptr) {
    for (size_t i = 0; i < dataplane_->num_lcores(); ++i) {
      LcoreSnapshot& l = s.lcores.emplace_back();
      l.lcore_id = dataplane_->lcore_id(i);
      for (const PolledQueue& q : dataplane_->Queues(i)) {
        l.queues.push_back(
            {port_names_[q.ref.port], ports_[q.ref.port]->serial(), q.ref.queue, q.sample});
      }
      // The lcore counts a pass for its queue before it counts it for
      // itself; read after its queues, it has (nearly always) counted at
      // least as much as they add up to.
      l.sample = dataplane_->Sample(i);
      l.rx_queues = l.queues.size();
    }
  }
  if (full) {
    s.fwd = FwdSnapshot{std::string(FwdModeName(mode_)), config_.forwarding.pairs,
                        config_.forwarding.tx_retries};
  }
  return s;
}

}  // namespace zcswitch
