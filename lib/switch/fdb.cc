#include "lib/switch/fdb.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <cstring>

#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

// A hash entry's data is the port, with this bit for static entries.
constexpr uintptr_t kStaticBit = uintptr_t{1} << 16;
constexpr uintptr_t kPortMask = 0xffff;
// Learning requests an lcore may have waiting for the writer.
constexpr unsigned kLearnQueueSize = 1024;
// How many recent requests an lcore remembers, so as not to repeat them.
constexpr size_t kRecentRequests = 64;

uint64_t Key(const rte_ether_addr& mac, uint16_t vlan) {
  uint64_t k = 0;
  for (uint8_t b : mac.addr_bytes) k = (k << 8) | b;
  return (k << 12) | (vlan & 0x0fff);
}

rte_ether_addr KeyMac(uint64_t key) {
  rte_ether_addr mac;
  uint64_t k = key >> 12;
  for (int i = RTE_ETHER_ADDR_LEN - 1; i >= 0; --i) {
    mac.addr_bytes[i] = static_cast<uint8_t>(k);
    k >>= 8;
  }
  return mac;
}

uint16_t KeyVlan(uint64_t key) { return static_cast<uint16_t>(key & 0x0fff); }

void* Data(uint16_t port, bool is_static) {
  return reinterpret_cast<void*>(uintptr_t{port} | (is_static ? kStaticBit : 0));
}

}  // namespace

struct Fdb::LearnRequest {
  uint64_t key;
  uint16_t port;
  uint16_t pad[3];
};

// One lcore's side of learning: its request ring and the requests it made
// lately. Written only by that lcore.
struct alignas(64) Fdb::LcoreLearner {
  struct Recent {
    uint64_t key = 0;
    uint16_t port = 0;
    uint32_t second = UINT32_MAX;
    uint32_t removals = 0;
  };
  rte_ring* ring = nullptr;
  Recent recent[kRecentRequests];
  Counter dropped;

  ~LcoreLearner() { rte_ring_free(ring); }
};

absl::StatusOr<std::unique_ptr<Fdb>> Fdb::Create(const Options& options) {
  static_assert(sizeof(LearnRequest) % 4 == 0, "rte_ring elements are a multiple of 4 bytes");
  if (options.qsbr == nullptr) {
    return absl::InvalidArgumentError("the FDB needs the lcores' RCU QSBR variable");
  }
  rte_hash_parameters params{};
  params.name = options.name;
  params.entries = options.capacity;
  params.key_len = sizeof(uint64_t);
  params.hash_func = rte_hash_crc;
  params.socket_id = static_cast<int>(rte_socket_id());
  // Lock-free readers with one writer: no lock anywhere.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
  rte_hash* hash = rte_hash_create(&params);
  if (hash == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("cannot create the FDB hash (%d entries): %s", options.capacity,
                        rte_strerror(rte_errno)));
  }
  // Deleted slots go back to the free list once every lcore has been
  // quiescent, reclaimed in batches by later insertions.
  rte_hash_rcu_config rcu{};
  rcu.v = options.qsbr;
  rcu.mode = RTE_HASH_QSBR_MODE_DQ;
  if (rte_hash_rcu_qsbr_add(hash, &rcu) != 0) {
    rte_hash_free(hash);
    return absl::InternalError(
        absl::StrFormat("cannot attach RCU to the FDB: %s", rte_strerror(rte_errno)));
  }
  std::vector<std::unique_ptr<LcoreLearner>> learners;
  for (unsigned i = 0; i < options.lcores; ++i) {
    auto learner = std::make_unique<LcoreLearner>();
    const std::string name = absl::StrFormat("%s_learn%u", options.name, i);
    learner->ring =
        rte_ring_create_elem(name.c_str(), sizeof(LearnRequest), kLearnQueueSize,
                             static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (learner->ring == nullptr) {
      rte_hash_free(hash);
      return absl::ResourceExhaustedError(
          absl::StrFormat("cannot create ring %s: %s", name, rte_strerror(rte_errno)));
    }
    learners.push_back(std::move(learner));
  }
  return std::unique_ptr<Fdb>(new Fdb(hash, options.aging_s, std::move(learners)));
}

Fdb::Fdb(rte_hash* hash, uint32_t aging_s, std::vector<std::unique_ptr<LcoreLearner>> learners)
    : hash_(hash),
      aging_s_(aging_s),
      last_seen_(new std::atomic<uint32_t>[rte_hash_max_key_id(hash) + 1]()),
      learners_(std::move(learners)) {}

Fdb::~Fdb() { rte_hash_free(hash_); }

int Fdb::Lookup(const rte_ether_addr& mac, uint16_t vlan) const {
  const uint64_t key = Key(mac, vlan);
  void* data;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return -1;
  return static_cast<int>(reinterpret_cast<uintptr_t>(data) & kPortMask);
}

void Fdb::Learn(unsigned lcore, const rte_ether_addr& mac, uint16_t vlan, uint16_t port) {
  const uint64_t key = Key(mac, vlan);
  const uint32_t now = now_s_.load(std::memory_order_relaxed);
  void* data;
  const int pos = rte_hash_lookup_data(hash_, &key, &data);
  if (pos >= 0) {
    const auto d = reinterpret_cast<uintptr_t>(data);
    // A static entry stays where it was put.
    if ((d & kPortMask) == port || (d & kStaticBit)) {
      std::atomic<uint32_t>& seen = last_seen_[pos];
      if (seen.load(std::memory_order_relaxed) != now) seen.store(now, std::memory_order_relaxed);
      return;
    }
  }
  LcoreLearner& learner = *learners_[lcore];
  LcoreLearner::Recent& recent = learner.recent[(key ^ (key >> 23)) % kRecentRequests];
  const uint32_t removals = removals_.load(std::memory_order_relaxed);
  if (recent.key == key && recent.port == port && recent.second == now &&
      recent.removals == removals) {
    return;
  }
  recent = {key, port, now, removals};
  LearnRequest request{key, port, {}};
  if (rte_ring_enqueue_elem(learner.ring, &request, sizeof(request)) != 0) learner.dropped.Add(1);
}

absl::Status Fdb::AddStatic(const rte_ether_addr& mac, uint16_t vlan, uint16_t port) {
  const uint64_t key = Key(mac, vlan);
  const bool is_new = rte_hash_lookup(hash_, &key) < 0;
  if (rte_hash_add_key_data(hash_, &key, Data(port, true)) != 0) {
    return absl::ResourceExhaustedError("the FDB is full");
  }
  if (is_new) CountEntries(1);
  return absl::OkStatus();
}

absl::Status Fdb::Remove(const rte_ether_addr& mac, uint16_t vlan) {
  const uint64_t key = Key(mac, vlan);
  if (rte_hash_del_key(hash_, &key) < 0) return absl::NotFoundError("no such FDB entry");
  CountEntries(-1);
  removals_.store(removals_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return absl::OkStatus();
}

void Fdb::ForEach(absl::FunctionRef<void(uint64_t key, uintptr_t data, int32_t pos)> f) const {
  const void* key;
  void* data;
  uint32_t next = 0;
  int32_t pos;
  while ((pos = rte_hash_iterate(hash_, &key, &data, &next)) >= 0) {
    f(*static_cast<const uint64_t*>(key), reinterpret_cast<uintptr_t>(data), pos);
  }
}

size_t Fdb::FlushPort(uint16_t port) {
  return FlushIf([port](uint16_t p) { return p == port; });
}

size_t Fdb::ForgetPort(uint16_t port) {
  return FlushIf([port](uint16_t p) { return p == port; }, /*with_static=*/true);
}

size_t Fdb::FlushLearned() {
  return FlushIf([](uint16_t) { return true; });
}

size_t Fdb::FlushIf(absl::FunctionRef<bool(uint16_t port)> doomed_port, bool with_static) {
  // Requests the lcores made before the flush would otherwise bring back what
  // it removes (a port that just stopped is not polled any more).
  DrainLearning();
  std::vector<uint64_t> doomed;
  ForEach([&](uint64_t key, uintptr_t data, int32_t) {
    if ((with_static || !(data & kStaticBit)) &&
        doomed_port(static_cast<uint16_t>(data & kPortMask))) {
      doomed.push_back(key);
    }
  });
  Delete(doomed);
  return doomed.size();
}

void Fdb::Maintain(uint32_t now_s) {
  now_s_.store(now_s, std::memory_order_relaxed);
  DrainLearning();
  if (now_s != last_aged_s_) {
    last_aged_s_ = now_s;
    Age();
  }
}

void Fdb::DrainLearning() {
  LearnRequest requests[64];
  for (auto& learner : learners_) {
    unsigned n;
    while ((n = rte_ring_dequeue_burst_elem(learner->ring, requests, sizeof(LearnRequest), 64,
                                            nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) Apply(requests[i]);
    }
  }
}

void Fdb::Apply(const LearnRequest& request) {
  const uint32_t now = now_s_.load(std::memory_order_relaxed);
  void* data;
  int pos = rte_hash_lookup_data(hash_, &request.key, &data);
  if (pos >= 0) {
    const auto d = reinterpret_cast<uintptr_t>(data);
    if (d & kStaticBit) return;
    if ((d & kPortMask) != request.port) {
      // Lock-free readers see the old port or the new one, never a mix.
      if (rte_hash_add_key_data(hash_, &request.key, Data(request.port, false)) != 0) return;
      moves_.Add(1);
    }
    last_seen_[pos].store(now, std::memory_order_relaxed);
    return;
  }
  if (rte_hash_add_key_data(hash_, &request.key, Data(request.port, false)) != 0) {
    table_full_.Add(1);
    return;
  }
  pos = rte_hash_lookup(hash_, &request.key);
  if (pos >= 0) last_seen_[pos].store(now, std::memory_order_relaxed);
  learned_.Add(1);
  CountEntries(1);
}

void Fdb::Age() {
  const uint32_t now = now_s_.load(std::memory_order_relaxed);
  std::vector<uint64_t> doomed;
  ForEach([&](uint64_t key, uintptr_t data, int32_t pos) {
    if (data & kStaticBit) return;
    const uint32_t seen = last_seen_[pos].load(std::memory_order_relaxed);
    if (now >= seen && now - seen >= aging_s_) doomed.push_back(key);
  });
  Delete(doomed);
  aged_.Add(doomed.size());
}

void Fdb::Delete(absl::Span<const uint64_t> keys) {
  for (uint64_t k : keys) {
    if (rte_hash_del_key(hash_, &k) >= 0) CountEntries(-1);
  }
  if (!keys.empty()) {
    removals_.store(removals_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
}

std::vector<FdbEntry> Fdb::Entries() const {
  const uint32_t now = now_s_.load(std::memory_order_relaxed);
  std::vector<FdbEntry> out;
  ForEach([&](uint64_t key, uintptr_t data, int32_t pos) {
    FdbEntry e;
    e.mac = KeyMac(key);
    e.vlan = KeyVlan(key);
    e.port = static_cast<uint16_t>(data & kPortMask);
    e.is_static = (data & kStaticBit) != 0;
    const uint32_t seen = last_seen_[pos].load(std::memory_order_relaxed);
    e.age_s = e.is_static || seen > now ? 0 : now - seen;
    out.push_back(e);
  });
  return out;
}

FdbStats Fdb::Stats() const {
  FdbStats s;
  s.entries = entries_.load(std::memory_order_relaxed);
  s.learned = learned_.Read();
  s.moves = moves_.Read();
  s.aged = aged_.Read();
  s.table_full = table_full_.Read();
  for (const auto& learner : learners_) s.learn_dropped += learner->dropped.Read();
  return s;
}

}  // namespace zcswitch
