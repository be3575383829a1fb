// zcswitchd's life from a validated Config to a clean exit: EAL, mempool,
// ports, forwarding engine, data-plane lcores and metrics come up in that
// order, run until SIGINT or SIGTERM, and go down in reverse, printing the
// final counters on the way out.
#ifndef ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_
#define ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "app/zcswitchd/eal_session.h"
#include "lib/control/command_prompt.h"
#include "lib/control/command_table.h"
#include "lib/control/control_client.h"
#include "lib/control/config.h"
#include "lib/control/control_socket.h"
#include "lib/control/poll_loop.h"
#include "lib/control/telemetry.h"
#include "lib/dataplane/dataplane.h"
#include "lib/dataplane/mbuf_pool.h"
#include "lib/dataplane/quiescence.h"
#include "lib/dataplane/switch_snapshot.h"
#include "lib/metrics/metrics_exposer.h"
#include "lib/switch/fdb.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/fwd_l2switch.h"
#include "lib/switch/port.h"

namespace zcswitch {

struct DaemonOptions {
  std::vector<std::string> extra_eal_args;  // appended to the config's eal list
  std::string metrics_address;              // empty: no exposer
  std::string control_socket;               // empty: no control socket
  int stats_period_s = 0;                   // 0: counters only at exit
  // A command prompt on the terminal once forwarding runs (zcswitchd -i),
  // as a client of control_socket, which must be set.
  bool interactive = false;
};

class Daemon {
 public:
  // Exit codes of Run().
  static constexpr int kExitOk = 0;
  static constexpr int kExitFailure = 1;
  static constexpr int kExitBadConfig = 2;

  Daemon(Config config, DaemonOptions options);
  ~Daemon();

  // Runs until SIGINT or SIGTERM; returns the process exit code.
  int Run();

 private:
  absl::Status CheckLcores() const;
  absl::Status ClaimSockets();
  absl::Status Setup();
  absl::Status StartPrompt();
  FwdEngine* EngineFor(FwdMode mode) const;
  void AddModeCommands();
  void AddRunCommands();
  size_t PortId(const Port& port) const;

  // Every mode's engine for the current port table, built together so that
  // switching modes is instant.
  struct Engines {
    std::unique_ptr<L2SwitchEngine> l2switch;
    std::unique_ptr<FwdEngine> io;
    std::unique_ptr<FwdEngine> macswap;
  };
  absl::StatusOr<Engines> BuildEngines() const;
  // The port `config` describes, not started. Errors are the port's own;
  // the caller says where the description came from.
  absl::StatusOr<std::unique_ptr<Port>> OpenPort(const PortConfig& config);
  std::vector<Port*> PortTable() const;
  // Ports coming and going while forwarding runs (daemon_ports.cc).
  void AddPortCommands();
  absl::StatusOr<CommandReply> AddPort(const PortConfig& config);
  absl::StatusOr<CommandReply> RemovePort(absl::Span<const std::string> args);
  // With topology_mu_ held: engines for the port table as it now is, and the
  // data plane on both. Unchanged on failure.
  absl::Status PublishPorts();
  absl::Status CheckMbufsFor(const PortConfig& config) const;
  // The port named by the one argument in `args`; `usage` for anything else.
  absl::StatusOr<Port*> FindPort(absl::Span<const std::string> args,
                                 absl::string_view usage) const;
  // The ports `port start|stop NAME|all` changes, all of them in state
  // `now_started` (true for stop): the named port, refused if it is not, or
  // for "all" every port that is (perhaps none).
  absl::StatusOr<std::vector<Port*>> PortsToSwitch(absl::Span<const std::string> args,
                                                   absl::string_view usage,
                                                   bool now_started) const;
  // The reply once `ports` are in state `started`.
  static CommandReply PortsSwitched(absl::string_view arg, const std::vector<Port*>& ports,
                                    bool started);
  void Serve();
  void RefreshLinks();
  void MaintainFdb();
  std::string FdbText() const;
  void Teardown();
  // kCounters from any thread; kFull on the control thread only.
  SwitchSnapshot Snapshot(SnapshotDepth depth = SnapshotDepth::kCounters) const;

  Config config_;
  DaemonOptions options_;
  // Declared in the order they come up; destroyed in reverse.
  std::unique_ptr<EalSession> eal_;
  MbufPool pool_;
  MbufPool jumbo_pool_;  // only with vhost-user ports
  std::unique_ptr<Quiescence> quiescence_;
  // The port table, index = port id. An id stays with its port for the
  // port's life (the FDB holds ids); a removed port leaves its id free
  // (a null port, an empty name) for the next one added.
  std::vector<std::unique_ptr<Port>> ports_;
  std::vector<PortConfig> port_configs_;
  std::vector<std::string> port_names_;    // the FDB commands read it
  std::vector<PollSource*> poll_sources_;  // the ports with sockets to serve
  // Threads other than the control thread (metrics, DPDK telemetry) hold it
  // while they read the port table and the data plane's plan; the control
  // thread holds it while it changes them. No lcore ever takes it.
  mutable std::mutex topology_mu_;
  std::unique_ptr<Fdb> fdb_;
  Engines engines_;
  FwdMode mode_ = FwdMode::kL2Switch;
  std::unique_ptr<Dataplane> dataplane_;
  std::unique_ptr<MetricsExposer> metrics_;
  std::unique_ptr<TelemetryCommands> telemetry_;
  CommandTable commands_;
  std::unique_ptr<ControlSocket> control_;
  // The -i prompt's thread sends its commands through control_, so that they
  // run on the control thread like everyone else's.
  std::unique_ptr<ControlClient> prompt_client_;
  std::unique_ptr<CommandPrompt> prompt_;
  std::thread prompt_thread_;
  bool shutdown_requested_ = false;
  std::vector<bool> link_was_up_;  // per port, to flush the FDB when a link goes down
  std::chrono::steady_clock::time_point started_;
  uint64_t started_tsc_ = 0;  // set before running_
  // Set once ports and lcores stand; cleared before they go.
  std::atomic<bool> running_{false};
};

}  // namespace zcswitch

#endif  // ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_
