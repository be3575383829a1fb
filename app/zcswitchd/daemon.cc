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
#include "drivers/port_drivers.h"
#include "drivers/vhost_user/vhost_commands.h"
#include "lib/bridge/fdb_commands.h"
#include "lib/bridge/fwd_commands.h"
#include "lib/bridge/port_commands.h"
#include "lib/bridge/zcopy_commands.h"
#include "lib/base/status_macros.h"
#include "lib/control/stats_commands.h"
#include "lib/control/stats_delta.h"
#include "lib/control/stats_text.h"
#include "lib/switch/fwd_l2switch.h"

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

void Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
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

absl::Status Daemon::ClaimSockets() {
  if (!options_.control_socket.empty()) {
    commands_.Add("help", ArgList().Rest("WORDS", "[WORD...]"),
                  "list the commands (those starting with WORD...)",
                  [this](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
                    const std::vector<std::string>& words = args.Rest("WORDS");
                    CommandReply reply = commands_.HelpReply(words);
                    if (reply.data["commands"].empty()) {
                      return absl::NotFoundError(absl::StrFormat(
                          "no command starts with \"%s\"", absl::StrJoin(words, " ")));
                    }
                    return reply;
                  });
    // Commands run only once the bridge stands (Serve), so these may ask it.
    AddStatsCommands(
        commands_, [this] { return Snapshot(SnapshotDepth::kFull); },
        [this] { return bridge_->PortNames(); });
    commands_.Add("shutdown", ArgList(), "stop forwarding and exit (as SIGTERM does)",
                  [this](const CommandArgs&) -> absl::StatusOr<CommandReply> {
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

  ZC_ASSIGN_OR_RETURN(bridge_, Bridge::Create(config_, PortDrivers()));
  if (control_ != nullptr) {
    AddFwdCommands(commands_, bridge_.get());
    AddPortCommands(commands_, bridge_.get());
    AddVhostCommands(commands_, bridge_.get());
    AddFdbCommands(commands_, bridge_.get());
    AddZcopyCommands(commands_, bridge_.get());
  }
  ZC_RETURN_IF_ERROR(bridge_->Start());
  for (const Port* port : bridge_->Ports()) {
    std::fprintf(stderr, "zcswitchd: port %s: %s\n", port->name().c_str(),
                 port->Describe().c_str());
  }
  running_.store(true, std::memory_order_release);
  std::fprintf(stderr, "zcswitchd: forwarding (%s) with %zu ports on %zu lcores\n",
               std::string(bridge_->mode().name).c_str(), bridge_->Ports().size(),
               config_.forwarding.lcores.size());
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
    std::vector<PollSource*> sources = bridge_->PollSources();
    // The control socket goes last: a command may remove a port, which must
    // not be dispatched after it in the same round.
    if (control_ != nullptr) sources.push_back(control_.get());
    // Often enough that a new MAC is learned within milliseconds.
    PollOnce(sources, 10);
    if (Clock::now() >= next_link_check) {
      next_link_check = Clock::now() + std::chrono::milliseconds(100);
      bridge_->RefreshLinks();
      bridge_->ReleaseRetiredMemory();
    }
    const auto age = std::chrono::steady_clock::now() - started_;
    bridge_->MaintainFdb(
        static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(age).count()));
    if (options_.stats_period_s > 0 && Clock::now() >= next_stats) {
      next_stats += period;
      SwitchSnapshot now = Snapshot();
      Print(FormatPortStats(now, PortRates(now, last)) + FormatLcoreStats(Subtract(now, last)) +
            FormatZcopyActivity(now, last) + FdbText() + "\n");
      last = std::move(now);
    }
  }
  std::fprintf(stderr, "zcswitchd: %s, stopping\n",
               shutdown_requested_ ? "shutdown command" : strsignal(g_stop_signal.load()));
}

// The FDB table, in the printed reports of l2switch mode.
std::string Daemon::FdbText() const {
  if (bridge_ == nullptr || bridge_->mode().name != kL2SwitchMode.name) return "";
  return FormatFdb(bridge_->fdb(), bridge_->PortNames());
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
  // The final report only after a set-up that went all the way.
  if (running_.load(std::memory_order_acquire)) {
    bridge_->StopForwarding();
    const SwitchSnapshot final_counters = Snapshot();
    Print("Final port statistics\n" + FormatPortStats(final_counters, {}) +
          "Final lcore statistics\n" + FormatLcoreStats(final_counters) + FdbText());
  }
  running_.store(false, std::memory_order_release);
  bridge_.reset();  // stops the lcores and the ports
  eal_.reset();
}

SwitchSnapshot Daemon::Snapshot(SnapshotDepth depth) const {
  // The metrics exposer's threads call this from before set-up is done.
  if (!running_.load(std::memory_order_acquire)) return {};
  return bridge_->Snapshot(depth);
}

}  // namespace zcswitch
