#include "lib/control/telemetry.h"

#include <rte_errno.h>
#include <rte_telemetry.h>

#include <cerrno>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace zcswitch {
namespace {

absl::Mutex g_mu;
TelemetryCommands::SnapshotFn* g_snapshot ABSL_GUARDED_BY(g_mu) = nullptr;
bool g_registered = false;  // control thread only

// Telemetry dict keys may hold only alphanumerics, '_' and '/'.
std::string Key(std::string s) {
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/') c = '_';
  }
  return s;
}

int PortsCommand(const char*, const char*, rte_tel_data* d) {
  absl::MutexLock lock(&g_mu);
  if (g_snapshot == nullptr) return -ENODEV;
  const SwitchSnapshot s = (*g_snapshot)();
  rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
  for (const PortSnapshot& p : s.ports) rte_tel_data_add_array_string(d, p.name.c_str());
  return 0;
}

int PortStatsCommand(const char*, const char* params, rte_tel_data* d) {
  if (params == nullptr || *params == '\0') return -EINVAL;
  absl::MutexLock lock(&g_mu);
  if (g_snapshot == nullptr) return -ENODEV;
  const SwitchSnapshot s = (*g_snapshot)();
  for (const PortSnapshot& p : s.ports) {
    if (p.name != params) continue;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "name", p.name.c_str());
    rte_tel_data_add_dict_string(d, "type", p.type.c_str());
    rte_tel_data_add_dict_int(d, "link_up", p.link_up ? 1 : 0);
    rte_tel_data_add_dict_u64(d, "rx_packets", p.counters.rx_packets);
    rte_tel_data_add_dict_u64(d, "rx_bytes", p.counters.rx_bytes);
    rte_tel_data_add_dict_u64(d, "tx_packets", p.counters.tx_packets);
    rte_tel_data_add_dict_u64(d, "tx_bytes", p.counters.tx_bytes);
    for (size_t r = 0; r < kNumDropReasons; ++r) {
      const auto reason = static_cast<DropReason>(r);
      rte_tel_data_add_dict_u64(d, absl::StrCat("drops_", DropReasonName(reason)).c_str(),
                                p.counters.drops(reason));
    }
    // Summed over queues: one dict stays within RTE_TEL_MAX_DICT_ENTRIES
    // however many queues the port has. Prefixed, so that a port type's
    // counter never shares a key with the switch's own (vhost's drops_no_mbuf
    // and the flood copies' drops_no_mbuf).
    std::map<std::string, uint64_t> sums;
    for (const PortXstat& x : p.xstats) {
      sums[Key(absl::StrCat("xstat_", x.reason.empty() ? x.name : absl::StrCat(x.name, "_", x.reason)))] +=
          x.value;
    }
    for (const auto& [name, value] : sums) rte_tel_data_add_dict_u64(d, name.c_str(), value);
    return 0;
  }
  return -EINVAL;
}

int LcoresCommand(const char*, const char*, rte_tel_data* d) {
  absl::MutexLock lock(&g_mu);
  if (g_snapshot == nullptr) return -ENODEV;
  const SwitchSnapshot s = (*g_snapshot)();
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "tsc_hz", s.tsc_hz);
  for (const LcoreSnapshot& l : s.lcores) {
    rte_tel_data* lcore = rte_tel_data_alloc();
    if (lcore == nullptr) return -ENOMEM;
    rte_tel_data_start_dict(lcore);
    rte_tel_data_add_dict_u64(lcore, "busy_cycles", l.sample.busy_cycles);
    rte_tel_data_add_dict_u64(lcore, "idle_cycles", l.sample.idle_cycles);
    rte_tel_data_add_dict_u64(lcore, "packets", l.sample.packets);
    rte_tel_data_add_dict_u64(lcore, "rx_queues", l.rx_queues);
    if (rte_tel_data_add_dict_container(d, absl::StrCat(l.lcore_id).c_str(), lcore, 0) != 0) {
      rte_tel_data_free(lcore);
      return -EINVAL;
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TelemetryCommands>> TelemetryCommands::Register(
    SnapshotFn snapshot) {
  if (!g_registered) {
    struct Command {
      const char* name;
      telemetry_cb fn;
      const char* help;
    };
    const Command commands[] = {
        {"/zcswitch/ports", PortsCommand, "Returns the names of zcswitch's ports. Takes no parameters"},
        {"/zcswitch/port_stats", PortStatsCommand,
         "Returns a zcswitch port's counters. Parameters: the port's name"},
        {"/zcswitch/lcores", LcoresCommand,
         "Returns per forwarding lcore: busy and idle cycles, packets, RX queues. Takes no "
         "parameters"},
    };
    for (const Command& c : commands) {
      const int rc = rte_telemetry_register_cmd(c.name, c.fn, c.help);
      if (rc != 0) {
        return absl::InternalError(
            absl::StrCat("cannot register telemetry command ", c.name, ": ", rte_strerror(-rc)));
      }
    }
    g_registered = true;
  }
  absl::MutexLock lock(&g_mu);
  if (g_snapshot != nullptr) return absl::FailedPreconditionError("telemetry is already served");
  g_snapshot = new SnapshotFn(std::move(snapshot));
  return std::unique_ptr<TelemetryCommands>(new TelemetryCommands());
}

TelemetryCommands::~TelemetryCommands() {
  absl::MutexLock lock(&g_mu);
  delete g_snapshot;
  g_snapshot = nullptr;
}

}  // namespace zcswitch
