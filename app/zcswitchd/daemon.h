// zcswitchd's life from a validated Config to a clean exit: the sockets, the
// EAL, the bridge (ports, engines, data-plane lcores: lib/bridge) and the
// commands come up in that order, run until SIGINT or SIGTERM, and go down in
// reverse, printing the final counters on the way out. What is left here is
// wiring: flags, EAL, signals, sockets and the control thread's loop.
#ifndef ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_
#define ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "app/zcswitchd/eal_session.h"
#include "lib/bridge/bridge.h"
#include "lib/cli/command_prompt.h"
#include "lib/control/command_table.h"
#include "lib/cli/control_client.h"
#include "lib/control/config.h"
#include "lib/control/control_socket.h"
#include "lib/control/telemetry.h"
#include "lib/dataplane/switch_snapshot.h"
#include "lib/metrics/metrics_exposer.h"

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
  void Serve();
  std::string FdbText() const;
  void Teardown();
  SwitchSnapshot Snapshot(SnapshotDepth depth = SnapshotDepth::kCounters) const;

  Config config_;
  DaemonOptions options_;
  // Declared in the order they come up; destroyed in reverse.
  std::unique_ptr<EalSession> eal_;
  std::unique_ptr<Bridge> bridge_;
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
  std::chrono::steady_clock::time_point started_;
  // Set once the bridge stands; cleared before it goes. The metrics and
  // telemetry threads read bridge_ only while it is set.
  std::atomic<bool> running_{false};
};

}  // namespace zcswitch

#endif  // ZCSWITCH_APP_ZCSWITCHD_DAEMON_H_
