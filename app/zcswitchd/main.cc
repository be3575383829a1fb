// zcswitchd: the zcswitch daemon.
//
//   zcswitchd --config=FILE [--control_socket=PATH] [--metrics_address=HOST:PORT]
//             [--stats_period=N] [-i]
//             [-- EAL arguments appended to the config's eal list]
//
// Exit codes: 0 after SIGINT/SIGTERM, 2 for a bad configuration (the message
// names file, key and problem), 1 when the switch could not be brought up.
#include <gflags/gflags.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/zcswitchd/daemon.h"
#include "drivers/port_drivers.h"
#include "lib/control/config.h"

DEFINE_string(config, "", "YAML configuration file (required)");
DEFINE_string(metrics_address, "127.0.0.1:9478",
              "HOST:PORT of the Prometheus exposer (GET /metrics); port 0 picks a free "
              "one; empty disables it");
DEFINE_string(control_socket, "/run/zcswitch/zcswitch.sock",
              "Unix socket (mode 0600) taking one JSON request per line; empty disables "
              "it");
DEFINE_bool(i, false,
            "interactive: a zcswitch> prompt on this terminal taking zcswitch-cli's commands "
            "(through --control_socket); quit stops the daemon");
DEFINE_int32(stats_period, 0, "print port and lcore statistics every N seconds (0: only at exit)");

int main(int argc, char** argv) {
  // Arguments after "--" are EAL's; gflags sees only what comes before.
  std::vector<std::string> extra_eal;
  int own_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      own_argc = i;
      for (int j = i + 1; j < argc; ++j) extra_eal.emplace_back(argv[j]);
      break;
    }
  }
  gflags::SetUsageMessage(
      "the zcswitch daemon\n  zcswitchd --config=FILE [flags] [-- EAL arguments]");
  gflags::SetVersionString("0.1");
  gflags::ParseCommandLineFlags(&own_argc, &argv, true);
  if (own_argc > 1) {
    std::fprintf(stderr, "zcswitchd: unexpected argument \"%s\" (EAL arguments go after --)\n",
                 argv[1]);
    return zcswitch::Daemon::kExitBadConfig;
  }
  if (FLAGS_config.empty()) {
    std::fprintf(stderr, "zcswitchd: --config=FILE is required (see --help)\n");
    return zcswitch::Daemon::kExitBadConfig;
  }
  if (FLAGS_stats_period < 0) {
    std::fprintf(stderr, "zcswitchd: --stats_period must be 0 or more\n");
    return zcswitch::Daemon::kExitBadConfig;
  }
  if (FLAGS_i && FLAGS_control_socket.empty()) {
    std::fprintf(stderr, "zcswitchd: -i needs --control_socket: the prompt's commands go there\n");
    return zcswitch::Daemon::kExitBadConfig;
  }
  absl::StatusOr<zcswitch::Config> config = zcswitch::LoadConfigFile(FLAGS_config, zcswitch::PortDrivers());
  if (!config.ok()) {
    std::fprintf(stderr, "zcswitchd: %s\n", std::string(config.status().message()).c_str());
    return zcswitch::Daemon::kExitBadConfig;
  }
  zcswitch::DaemonOptions options;
  options.extra_eal_args = std::move(extra_eal);
  options.metrics_address = FLAGS_metrics_address;
  options.control_socket = FLAGS_control_socket;
  options.stats_period_s = FLAGS_stats_period;
  options.interactive = FLAGS_i;
  zcswitch::Daemon daemon(*std::move(config), std::move(options));
  return daemon.Run();
}
