#include "lib/bridge/bridge.h"

#include <cstdio>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "lib/control/port_spec.h"
#include "lib/offload/soft_offload.h"
#include "lib/switch/zcopy_xstats.h"
#include "lib/zcopy/inflight_table.h"

namespace zcswitch {
namespace {

// Jumbo frames from guests land in one mbuf each rather than a chain of
// five: one allocation and one copy stream per packet.
constexpr unsigned kJumboMbufs = 4095;
constexpr uint16_t kJumboDataRoom = RTE_PKTMBUF_HEADROOM + 9856;  // a 9728 B frame + header room

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

Bridge::Bridge(const Config& config, absl::Span<const PortDriver* const> drivers)
    : source_(config.source),
      forwarding_(config.forwarding),
      drivers_(drivers),
      zcopy_(config.zcopy) {}

absl::StatusOr<std::unique_ptr<Bridge>> Bridge::Create(
    const Config& config, absl::Span<const PortDriver* const> drivers) {
  std::unique_ptr<Bridge> b(new Bridge(config, drivers));
  const unsigned lcores = config.forwarding.lcores.size();
  // Mbufs for every RX ring and every TX ring to be full at once, plus each
  // lcore's burst and mempool cache, plus headroom for devices that hold
  // packets of their own (net_pcap's infinite_rx keeps its whole file).
  unsigned mbufs = lcores * (Dataplane::kBurst + 256) + 16384;
  for (const PortConfig& p : config.ports) {
    ZC_ASSIGN_OR_RETURN(const PortDriver* driver, b->DriverFor(p));
    mbufs += driver->ring_mbufs(p, lcores);
  }
  ZC_ASSIGN_OR_RETURN(b->pool_, CreateMbufPool("zc_mbufs", mbufs, rte_socket_id()));
  ZC_ASSIGN_OR_RETURN(b->quiescence_, Quiescence::Create(lcores));

  absl::MutexLock lock(&b->mu_);
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& pc = config.ports[i];
    const PortDriver* driver = *b->DriverFor(pc);
    absl::StatusOr<std::unique_ptr<Port>> port = b->OpenPort(pc, *driver);
    if (!port.ok()) {
      // A socket that cannot be made, or a device that cannot be probed, is
      // taken, or lacks the queues or descriptors asked for, is a
      // configuration problem: name where it came from.
      return absl::InvalidArgumentError(absl::StrFormat("%s: ports[%d].%s: %s", config.source, i,
                                                        driver->attach_key,
                                                        port.status().message()));
    }
    PollSource* source = dynamic_cast<PollSource*>(port->get());
    b->ports_.push_back({*std::move(port), pc, driver, source});
  }
  b->SetUpGuestDma();
  ZC_ASSIGN_OR_RETURN(b->fdb_, Fdb::Create({.aging_s = config.fdb.aging_s,
                                            .lcores = lcores,
                                            .qsbr = b->quiescence_->qsbr()}));
  const std::vector<std::string> names = b->PortNamesLocked();
  for (const StaticFdbEntry& e : config.fdb.static_entries) {
    // The configuration checked that the port exists.
    const auto port = std::find(names.begin(), names.end(), e.port);
    rte_ether_addr mac;
    std::copy(e.mac.bytes.begin(), e.mac.bytes.end(), mac.addr_bytes);
    ZC_RETURN_IF_ERROR(
        b->fdb_->AddStatic(mac, e.vlan, static_cast<uint16_t>(port - names.begin())));
  }
  ZC_ASSIGN_OR_RETURN(b->engines_, b->BuildEngines());
  const FwdMode* mode = FindFwdMode(config.forwarding.mode);
  if (mode == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: forwarding.mode: unknown mode \"%s\"", config.source,
                        config.forwarding.mode));
  }
  b->mode_ = std::find(FwdModes().begin(), FwdModes().end(), mode) - FwdModes().begin();
  b->dataplane_ = std::make_unique<Dataplane>(
      b->PortTable(), b->engines_[b->mode_].get(), config.forwarding.lcores,
      config.forwarding.tx_retries, MbufPools{b->pool_.get(), b->jumbo_pool_.get()},
      b->quiescence_.get());
  b->dataplane_->set_zcopy(&b->zcopy_);
  return b;
}

Bridge::~Bridge() {
  absl::MutexLock lock(&mu_);
  if (dataplane_ != nullptr) dataplane_->Stop();
  for (PortEntry& e : ports_) {
    if (e.port != nullptr) e.port->Stop();
  }
  // The lcores are gone: nothing reads the plan any more.
  dataplane_.reset();
  engines_.clear();
  fdb_.reset();
  ports_.clear();
}

absl::Status Bridge::Start() {
  absl::MutexLock lock(&mu_);
  for (PortEntry& e : ports_) ZC_RETURN_IF_ERROR(e.port->Start());
  started_tsc_ = rte_rdtsc();
  return dataplane_->Start();
}

absl::Status Bridge::StartForwarding() {
  absl::MutexLock lock(&mu_);
  if (dataplane_->running()) return absl::FailedPreconditionError("already forwarding");
  return dataplane_->Start();
}

void Bridge::StopForwarding() {
  absl::MutexLock lock(&mu_);
  dataplane_->Stop();
}

bool Bridge::forwarding() const {
  absl::MutexLock lock(&mu_);
  return dataplane_->running();
}

absl::StatusOr<const PortDriver*> Bridge::DriverFor(const PortConfig& config) const {
  const PortDriver* driver = FindPortDriver(drivers_, config.type);
  if (driver == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("port %s: no port type \"%s\"", config.name, config.type));
  }
  return driver;
}

absl::StatusOr<std::unique_ptr<Port>> Bridge::OpenPort(const PortConfig& config,
                                                       const PortDriver& driver) {
  if (driver.large_mbufs && jumbo_pool_ == nullptr) {
    ZC_ASSIGN_OR_RETURN(jumbo_pool_, CreateMbufPool("zc_jumbo", kJumboMbufs, rte_socket_id(),
                                                    kJumboDataRoom));
  }
  return driver.open(config,
                     {.tx_queues = static_cast<uint16_t>(forwarding_.lcores.size()),
                      .pools = {pool_.get(), driver.large_mbufs ? jumbo_pool_.get() : nullptr},
                      .quiescence = quiescence_.get(),
                      .zcopy = &zcopy_,
                      .dma = &dma_});
}

// The pool was sized for the configured ports with room to spare; a port
// added later may use that room, but not so much of it that packets in
// flight run short.
absl::Status Bridge::CheckMbufsFor(const PortConfig& config, const PortDriver& driver) const {
  const unsigned need = driver.ring_mbufs(config, forwarding_.lcores.size());
  if (need == 0) return absl::OkStatus();
  const unsigned free = rte_mempool_avail_count(pool_.get());
  if (need + kMbufReserve > free) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "port %s would hold up to %d mbufs in its rings, and the pool has %d free (%d are kept "
        "for packets in flight); configure it at start instead",
        config.name, need, free, kMbufReserve));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint16_t> Bridge::AddPort(const PortConfig& config) {
  ZC_ASSIGN_OR_RETURN(const PortDriver* driver, DriverFor(config));
  size_t id;
  {
    absl::MutexLock lock(&mu_);
    std::vector<PortConfig> configs;
    for (const PortEntry& e : ports_) configs.push_back(e.config);
    ZC_RETURN_IF_ERROR(CheckPortFits(config, configs, drivers_));
    id = std::find_if(ports_.begin(), ports_.end(),
                      [](const PortEntry& e) { return e.port == nullptr; }) -
         ports_.begin();
  }
  if (id >= kMaxPorts) {
    return absl::ResourceExhaustedError(absl::StrFormat("%d ports is the most", kMaxPorts));
  }
  ZC_RETURN_IF_ERROR(CheckMbufsFor(config, *driver));
  // Opened and started before the lock: a device probe may take a while, and
  // the metrics need not wait for it.
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<Port> port, OpenPort(config, *driver));
  ZC_RETURN_IF_ERROR(port->Start());
  PollSource* source = dynamic_cast<PollSource*>(port.get());
  absl::MutexLock lock(&mu_);
  if (id == ports_.size()) ports_.emplace_back();
  ports_[id] = {std::move(port), config, driver, source};
  if (absl::Status published = PublishPorts(); !published.ok()) {
    ports_[id] = {};
    return published;
  }
  return static_cast<uint16_t>(id);
}

absl::StatusOr<size_t> Bridge::RemovePort(absl::string_view name) {
  PortEntry gone;
  size_t id;
  {
    absl::MutexLock lock(&mu_);
    const auto it = std::find_if(ports_.begin(), ports_.end(), [&](const PortEntry& e) {
      return e.port != nullptr && e.config.name == name;
    });
    if (it == ports_.end()) {
      return absl::NotFoundError(absl::StrFormat("no port named \"%s\"", name));
    }
    id = it - ports_.begin();
    gone = std::exchange(*it, {});
    // Returns once no lcore can reach the port.
    if (absl::Status published = PublishPorts(); !published.ok()) {
      ports_[id] = std::move(gone);
      return published;
    }
  }
  // Nothing learns on the port any more, so nothing brings these back.
  const size_t forgotten = fdb_->ForgetPort(static_cast<uint16_t>(id));
  gone.port->Stop();
  return forgotten;
}

void Bridge::StopPorts(absl::Span<Port* const> ports) {
  if (ports.empty()) return;
  for (Port* port : ports) port->set_enabled(false);
  // No lcore is inside the ports once every lcore has been quiescent.
  quiescence_->Synchronize();
  // Stopping a device may take a while; snapshot readers need not wait.
  for (Port* port : ports) {
    port->Stop();
    port->RefreshLink();
  }
  absl::MutexLock lock(&mu_);
  for (Port* port : ports) fdb_->FlushPort(static_cast<uint16_t>(PortId(*port)));
}

std::vector<absl::Status> Bridge::StartPorts(absl::Span<Port* const> ports) {
  std::vector<absl::Status> results;
  for (Port* port : ports) {
    absl::Status s = port->Start();
    if (s.ok()) port->set_enabled(true);
    results.push_back(std::move(s));
  }
  return results;
}

Port* Bridge::FindPort(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  for (const PortEntry& e : ports_) {
    if (e.port != nullptr && e.config.name == name) return e.port.get();
  }
  return nullptr;
}

std::vector<Port*> Bridge::Ports() const {
  absl::MutexLock lock(&mu_);
  std::vector<Port*> ports;
  for (const PortEntry& e : ports_) {
    if (e.port != nullptr) ports.push_back(e.port.get());
  }
  return ports;
}

std::vector<std::string> Bridge::PortNames() const {
  absl::MutexLock lock(&mu_);
  return PortNamesLocked();
}

std::vector<std::string> Bridge::PortNamesLocked() const {
  std::vector<std::string> names;
  for (const PortEntry& e : ports_) names.push_back(e.config.name);
  return names;
}

VlanMap Bridge::Vlans() const {
  absl::MutexLock lock(&mu_);
  return VlansLocked();
}

VlanMap Bridge::VlansLocked() const {
  std::vector<PortVlan> vlans;
  for (const PortEntry& e : ports_) {
    // A free id carries no VLAN, so it is in no flood list.
    vlans.push_back(e.port == nullptr ? PortVlan::Trunk({}) : VlanOf(e.config));
  }
  return VlanMap(std::move(vlans));
}

std::vector<Port*> Bridge::PortTable() const {
  std::vector<Port*> table;
  for (const PortEntry& e : ports_) table.push_back(e.port.get());
  return table;
}

size_t Bridge::PortId(const Port& port) const {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i].port.get() == &port) return i;
  }
  return ports_.size();
}

absl::StatusOr<std::vector<std::unique_ptr<FwdEngine>>> Bridge::BuildEngines() const {
  const std::vector<std::string> names = PortNamesLocked();
  const VlanMap vlans = VlansLocked();
  // A pair works while both its ports are there.
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& pair : forwarding_.pairs) {
    if (std::count(names.begin(), names.end(), pair.first) != 0 &&
        std::count(names.begin(), names.end(), pair.second) != 0) {
      pairs.push_back(pair);
    }
  }
  const FwdModeContext context = {.fdb = fdb_.get(),
                                  .vlans = &vlans,
                                  .port_names = names,
                                  .pairs = pairs,
                                  .lcores = static_cast<unsigned>(forwarding_.lcores.size())};
  std::vector<std::unique_ptr<FwdEngine>> engines;
  for (const FwdMode* mode : FwdModes()) {
    ZC_ASSIGN_OR_RETURN(std::unique_ptr<FwdEngine> engine, mode->create(context));
    engines.push_back(std::move(engine));
  }
  return engines;
}

absl::Status Bridge::PublishPorts() {
  ZC_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<FwdEngine>> engines, BuildEngines());
  std::vector<std::unique_ptr<FwdEngine>> previous = std::exchange(engines_, std::move(engines));
  absl::Status published = dataplane_->SetPorts(PortTable(), engines_[mode_].get(),
                                                {pool_.get(), jumbo_pool_.get()});
  if (!published.ok()) engines_ = std::move(previous);
  // Otherwise `previous` goes here: no lcore can be inside it any more.
  return published;
}

absl::Status Bridge::SetMode(absl::string_view name) {
  const FwdMode* mode = FindFwdMode(name);
  if (mode == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unknown mode \"%s\" (expected %s)", name, FwdModeChoices()));
  }
  if (mode->needs_pairs && forwarding_.pairs.empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s mode needs port pairs (forwarding.pairs in the configuration)", mode->name));
  }
  absl::MutexLock lock(&mu_);
  mode_ = std::find(FwdModes().begin(), FwdModes().end(), mode) - FwdModes().begin();
  dataplane_->SetEngine(engines_[mode_].get());
  return absl::OkStatus();
}

const FwdMode& Bridge::mode() const {
  absl::MutexLock lock(&mu_);
  return *FwdModes()[mode_];
}

std::vector<PollSource*> Bridge::PollSources() const {
  absl::MutexLock lock(&mu_);
  std::vector<PollSource*> sources;
  for (const PortEntry& e : ports_) {
    if (e.poll_source != nullptr) sources.push_back(e.poll_source);
  }
  return sources;
}

void Bridge::RefreshLinks() {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < ports_.size(); ++i) {
    PortEntry& e = ports_[i];
    if (e.port == nullptr) continue;
    e.port->RefreshLink();
    const bool up = e.port->link_up();
    if (e.link_was_up && !up) fdb_->FlushPort(static_cast<uint16_t>(i));
    e.link_was_up = up;
  }
}

void Bridge::SetUpGuestDma() {
  std::vector<rte_device*> devices;
  for (const PortEntry& e : ports_) {
    if (rte_device* d = e.port != nullptr ? e.port->dma_device() : nullptr) devices.push_back(d);
  }
  if (devices.empty()) return;  // virtual devices only: nothing to register
  absl::StatusOr<std::unique_ptr<GuestDma>> dma = MakeGuestDma(devices);
  if (dma.ok()) {
    dma_.set(*std::move(dma));
    return;
  }
  // Without it a NIC would read guest memory it cannot reach: copy instead.
  std::fprintf(stderr, "zcswitchd: zero-copy to NICs is off: %s\n",
               std::string(dma.status().message()).c_str());
  for (PortEntry& e : ports_) {
    if (e.port != nullptr && e.port->dma_device() != nullptr) e.port->ForceCopy();
  }
}

void Bridge::ReleaseRetiredMemory() { SweepRetiredInflightTables(); }

void Bridge::MaintainFdb(uint32_t now_s) { fdb_->Maintain(now_s); }

SwitchSnapshot Bridge::Snapshot(SnapshotDepth depth) const {
  SwitchSnapshot s;
  absl::MutexLock lock(&mu_);
  const bool full = depth == SnapshotDepth::kFull;
  s.tsc = rte_rdtsc();
  s.tsc_hz = rte_get_tsc_hz();
  s.started_tsc = started_tsc_;
  for (const PortEntry& e : ports_) {
    if (e.port == nullptr) continue;
    const Port& port = *e.port;
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
    AppendReapXstats(port, p.xstats);
    p.zcopy_target = port.zcopy_target();
    if (full) {
      port.AppendDeviceXstats(p.device_xstats);
      p.info = PortInfo{port.Describe(), VlanText(VlanOf(e.config)),
                        OffloadNames(port.tx_offloads())};
    }
  }
  s.fdb = fdb_->Stats();
  for (size_t i = 0; i < dataplane_->num_lcores(); ++i) {
    LcoreSnapshot& l = s.lcores.emplace_back();
    l.lcore_id = dataplane_->lcore_id(i);
    for (const PolledQueue& q : dataplane_->Queues(i)) {
      const PortEntry& e = ports_[q.ref.port];
      l.queues.push_back({e.config.name, e.port->serial(), q.ref.queue, q.sample});
    }
    // The lcore counts a pass for its queue before it counts it for itself;
    // read after its queues, it has (nearly always) counted at least as much
    // as they add up to.
    l.sample = dataplane_->Sample(i);
    l.rx_queues = l.queues.size();
  }
  if (full) {
    s.fwd = FwdSnapshot{std::string(FwdModes()[mode_]->name), forwarding_.pairs,
                        forwarding_.tx_retries};
  }
  return s;
}

}  // namespace zcswitch
