// The forwarding database: (MAC, VLAN) -> port, learned on receive, aged out,
// with static entries, and MAC moves detected and counted.
//
// Concurrency: lcores look up without a lock, and never write the table.
//   - The table is a DPDK rte_hash with lock-free reader/writer concurrency
//     (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF). A deleted entry's slot is
//     reused only after every lcore has passed a quiescent state
//     (rte_hash_rcu_qsbr_add on the data plane's QSBR variable), so a lookup
//     racing an ageing never reads a recycled slot.
//   - One writer, the control thread: learning requests come to it through
//     a single-producer ring per lcore, which Maintain() drains. Learning on
//     the lcores themselves would need rte_hash's multi-writer mode, which
//     takes a lock on every insertion: the data path takes none. The cost is
//     that a new MAC is flooded to until the next Maintain() (milliseconds).
//   - An lcore refreshes a known entry's last-seen time itself: one relaxed
//     store per entry per second, into a per-slot array.
// Time is whole seconds from the caller's clock (Maintain(now_s)), so tests
// inject it.
#ifndef ZCSWITCH_LIB_SWITCH_FDB_H_
#define ZCSWITCH_LIB_SWITCH_FDB_H_

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "lib/base/counter.h"

namespace zcswitch {

struct FdbEntry {
  rte_ether_addr mac;
  uint16_t vlan = 0;
  uint16_t port = 0;
  bool is_static = false;
  uint32_t age_s = 0;  // since last seen; 0 for static entries
};

// Monotonic totals, read by the control thread.
struct FdbStats {
  uint64_t entries = 0;        // now in the table
  uint64_t learned = 0;        // entries added by learning
  uint64_t moves = 0;          // learned MACs seen on another port
  uint64_t aged = 0;           // entries removed for age
  uint64_t table_full = 0;     // learning requests refused: no room
  uint64_t learn_dropped = 0;  // learning requests lost: an lcore's queue was full
};

class Fdb {
 public:
  struct Options {
    uint32_t capacity = 65536;
    uint32_t aging_s = 300;
    unsigned lcores = 1;             // learning lcores, numbered 0 .. lcores - 1
    rte_rcu_qsbr* qsbr = nullptr;    // the lcores' quiescent states
    const char* name = "zc_fdb";     // DPDK object names are global: unique per Fdb
  };

  static absl::StatusOr<std::unique_ptr<Fdb>> Create(const Options& options);
  ~Fdb();
  Fdb(const Fdb&) = delete;
  Fdb& operator=(const Fdb&) = delete;

  // Data path, any lcore: the port (MAC, VLAN) goes to, or -1.
  int Lookup(const rte_ether_addr& mac, uint16_t vlan) const;
  // Data path, on lcore `lcore`: a frame from `mac` in `vlan` came in on
  // `port`. Refreshes a matching entry; otherwise asks the writer to learn
  // (or move) it, at most once a second per MAC for each lcore.
  void Learn(unsigned lcore, const rte_ether_addr& mac, uint16_t vlan, uint16_t port);

  // Control thread (the writer), from here on.
  // Adds or replaces a static entry: never aged, never moved by learning.
  absl::Status AddStatic(const rte_ether_addr& mac, uint16_t vlan, uint16_t port);
  // Removes an entry, static or learned. NotFound if there is none.
  absl::Status Remove(const rte_ether_addr& mac, uint16_t vlan);
  // Removes every learned entry pointing at `port` (its link went down, or it
  // stopped); returns how many.
  size_t FlushPort(uint16_t port);
  // Removes every entry pointing at `port`, static ones too: the port is
  // gone, and its id may be given to another. Call it once no lcore polls
  // the port, so that nothing learns on it again. Returns how many.
  size_t ForgetPort(uint16_t port);
  // Removes every learned entry; static ones stay. Returns how many.
  size_t FlushLearned();
  // Learns what the lcores asked for, and ages out learned entries not seen
  // for aging_s. Call it often (every few milliseconds).
  void Maintain(uint32_t now_s);

  std::vector<FdbEntry> Entries() const;
  FdbStats Stats() const;
  uint32_t aging_s() const { return aging_s_; }

 private:
  struct LearnRequest;
  struct LcoreLearner;

  Fdb(rte_hash* hash, uint32_t aging_s, std::vector<std::unique_ptr<LcoreLearner>> learners);
  void DrainLearning();
  void Apply(const LearnRequest& request);
  void Age();
  void Delete(absl::Span<const uint64_t> keys);
  // Removes the learned entries `doomed(port)` picks, and the static ones
  // too if `with_static`; returns how many.
  size_t FlushIf(absl::FunctionRef<bool(uint16_t port)> doomed, bool with_static = false);
  // Calls f(key, data, slot) for every entry. Writer only.
  void ForEach(absl::FunctionRef<void(uint64_t key, uintptr_t data, int32_t pos)> f) const;
  void CountEntries(int64_t delta) {
    entries_.store(entries_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }

  rte_hash* const hash_;
  const uint32_t aging_s_;
  // Last-seen second per hash slot (rte_hash key position).
  std::unique_ptr<std::atomic<uint32_t>[]> last_seen_;
  std::vector<std::unique_ptr<LcoreLearner>> learners_;
  std::atomic<uint32_t> now_s_{0};
  // Bumped by every removal, so that an lcore asks again at once for what it
  // asked for this second: the entry may be gone.
  std::atomic<uint32_t> removals_{0};
  uint32_t last_aged_s_ = 0;
  // Kept here: rte_hash_count() would include deleted slots that RCU has not
  // reclaimed yet.
  std::atomic<uint64_t> entries_{0};
  Counter learned_;
  Counter moves_;
  Counter aged_;
  Counter table_full_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FDB_H_
