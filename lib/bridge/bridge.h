// The switch as one object: the port table, the forwarding engines, the
// FDB's control side and the data plane that runs on them.
//
// A Bridge is built from a validated Config once the EAL is up. It opens
// every port through the PortDriver rows it is given (it never includes a
// driver's header), builds every forwarding mode's engine for the port table
// so that switching modes is instant, and publishes the table and the
// engine to the data plane (lib/dataplane). Ports come and go at run time:
// a port keeps its id for life (the FDB holds ids), and a removed port leaves
// its id free for the next one added. Each change either happens whole or
// leaves everything as it was.
//
// Threads: every method but Snapshot(SnapshotDepth::kCounters) runs on the
// control thread. Snapshot readers (metrics, DPDK telemetry) and the control
// thread's changes are kept apart by one mutex, which no lcore takes.
#ifndef ZCSWITCH_LIB_BRIDGE_BRIDGE_H_
#define ZCSWITCH_LIB_BRIDGE_BRIDGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "lib/control/port_driver.h"
#include "lib/control/config.h"
#include "lib/control/poll_loop.h"
#include "lib/dataplane/dataplane.h"
#include "lib/dataplane/mbuf_pool.h"
#include "lib/dataplane/quiescence.h"
#include "lib/dataplane/switch_snapshot.h"
#include "lib/switch/fdb.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/fwd_mode.h"
#include "lib/switch/port.h"
#include "lib/switch/vlan.h"
#include "lib/zcopy/guest_dma.h"

namespace zcswitch {

class Bridge {
 public:
  // Port ids are 16 bits in the FDB; far fewer ports are useful on one host.
  static constexpr size_t kMaxPorts = 1024;
  // What a port added at run time must leave free in the shared pool, for
  // the packets in flight between ports.
  static constexpr unsigned kMbufReserve = 4096;

  // Opens the configured ports (not started) with `drivers`, which must
  // outlive the bridge. The caller has checked config.forwarding.lcores
  // against the EAL. A port that cannot be opened is InvalidArgument naming
  // the configuration key, as for any bad configuration.
  static absl::StatusOr<std::unique_ptr<Bridge>> Create(
      const Config& config, absl::Span<const PortDriver* const> drivers);
  // Stops forwarding and every port.
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Starts every port, then the forwarding lcores.
  absl::Status Start();

  // `start` and `stop`: the lcores poll, or not; ports stay up.
  absl::Status StartForwarding();
  void StopForwarding();
  bool forwarding() const;

  // `port add`: opens and starts the port, gives it the lowest free id and
  // publishes it. Refused with nothing changed when its name, device or
  // socket is taken, the table is full, or (for a port whose rings hold
  // mbufs) the shared pool would be left short.
  absl::StatusOr<uint16_t> AddPort(const PortConfig& config);
  // `port del`: once no lcore can reach the port, its FDB entries are
  // forgotten and it is stopped and destroyed. Returns how many FDB entries
  // went with it.
  absl::StatusOr<size_t> RemovePort(absl::string_view name);

  // `port stop`: the ports are no longer polled or sent to; once no lcore is
  // inside them they are stopped and their learned MACs flushed.
  void StopPorts(absl::Span<Port* const> ports);
  // `port start`: starts each port and enables it; every port is tried.
  // Returns one status per port.
  std::vector<absl::Status> StartPorts(absl::Span<Port* const> ports);

  // The port types it opens ports with.
  PortDriverTable drivers() const { return drivers_; }
  // The port called `name`, or nullptr.
  Port* FindPort(absl::string_view name) const;
  // Every port, by id (free ids skipped).
  std::vector<Port*> Ports() const;
  // Port names by id, "" for a free id: what the FDB's ids mean.
  std::vector<std::string> PortNames() const;
  // Each port's VLAN rules, by id.
  VlanMap Vlans() const;

  // `set fwd`: every burst from now on goes to the mode's engine.
  // FailedPrecondition for a mode that needs pairs when none are configured.
  absl::Status SetMode(absl::string_view name);
  const FwdMode& mode() const;

  // The ports with sockets for the control thread to serve.
  std::vector<PollSource*> PollSources() const;
  // Re-reads link states; the FDB forgets what was behind a port whose link
  // went down, since whatever comes back may not be the same.
  void RefreshLinks();
  // Control thread, now and then: unmaps guest memory that zero-copy
  // buffers kept mapped after their guest went away, once they are back.
  void ReleaseRetiredMemory();
  // Zero-copy's knobs (`set zcopy`): any thread may change them.
  ZcopySettings& zcopy() { return zcopy_; }
  // Learning and ageing; `now_s` counts seconds since the bridge started.
  void MaintainFdb(uint32_t now_s);
  Fdb& fdb() { return *fdb_; }
  const Fdb& fdb() const { return *fdb_; }

  // kCounters from any thread; kFull on the control thread only.
  SwitchSnapshot Snapshot(SnapshotDepth depth = SnapshotDepth::kCounters) const;

 private:
  struct PortEntry {
    std::unique_ptr<Port> port;  // null: a free id
    PortConfig config;           // empty name for a free id
    const PortDriver* driver = nullptr;
    PollSource* poll_source = nullptr;  // the port, when it has sockets to serve
    bool link_was_up = false;
  };

  Bridge(const Config& config, absl::Span<const PortDriver* const> drivers);

  absl::StatusOr<const PortDriver*> DriverFor(const PortConfig& config) const;
  // The port `config` describes, not started.
  absl::StatusOr<std::unique_ptr<Port>> OpenPort(const PortConfig& config,
                                                 const PortDriver& driver);
  void SetUpGuestDma() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckMbufsFor(const PortConfig& config, const PortDriver& driver) const;
  std::vector<Port*> PortTable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> PortNamesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  VlanMap VlansLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every mode's engine for the port table as it now is, in FwdModes() order.
  absl::StatusOr<std::vector<std::unique_ptr<FwdEngine>>> BuildEngines() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Engines for the port table as it now is, and the data plane on both.
  // Unchanged on failure.
  absl::Status PublishPorts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t PortId(const Port& port) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string source_;  // the configuration file, for messages
  const ForwardingConfig forwarding_;
  const absl::Span<const PortDriver* const> drivers_;
  // Read by ports and lcores: outlives them.
  ZcopySettings zcopy_;
  // Registers guest memory for NICs that take zero-copy packets; set once
  // the configured ports are open (SetUpGuestDma). Ports added later are
  // not in it (docs/architecture.md).
  GuestDmaSlot dma_;
  // Declared in the order they come up; destroyed in reverse.
  MbufPool pool_;
  MbufPool jumbo_pool_;  // once a port needs large mbufs
  std::unique_ptr<Quiescence> quiescence_;
  // Held by threads other than the control thread (metrics, DPDK
  // telemetry) while they read the port table and the data plane's plan,
  // and by the control thread while it changes them. No lcore takes it.
  mutable absl::Mutex mu_;
  std::vector<PortEntry> ports_ ABSL_GUARDED_BY(mu_);  // index = port id
  std::unique_ptr<Fdb> fdb_;
  std::vector<std::unique_ptr<FwdEngine>> engines_ ABSL_GUARDED_BY(mu_);  // by mode
  size_t mode_ ABSL_GUARDED_BY(mu_) = 0;  // index into FwdModes()
  std::unique_ptr<Dataplane> dataplane_ ABSL_GUARDED_BY(mu_);
  uint64_t started_tsc_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_BRIDGE_H_
