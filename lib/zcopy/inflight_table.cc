#include "lib/zcopy/inflight_table.h"

#include <mutex>
#include <vector>

namespace zcswitch {
namespace {

// Retired tables with heads still out, for the control thread's sweep. A
// mutex: Retire() and the sweep are control-plane work, never an lcore's.
std::mutex retired_mu;
std::vector<InflightTable*>& RetiredTables() {
  static auto* tables = new std::vector<InflightTable*>();
  return *tables;
}

}  // namespace

InflightTable* InflightTable::Create(uint16_t queue_size, std::shared_ptr<const void> keepalive) {
  return new InflightTable(queue_size, std::move(keepalive));
}

InflightTable::InflightTable(uint16_t queue_size, std::shared_ptr<const void> keepalive)
    : queue_size_(queue_size),
      keepalive_(std::move(keepalive)),
      slots_(std::make_unique<Slot[]>(queue_size)),
      lent_(std::make_unique<uint16_t[]>(queue_size)),
      held_map_(std::make_unique<bool[]>(queue_size)) {
  for (uint16_t i = 0; i < queue_size; ++i) {
    Slot& s = slots_[i];
    s.shinfo.free_cb = &BufferFreed;
    s.shinfo.fcb_opaque = &s;
    rte_mbuf_ext_refcnt_set(&s.shinfo, 0);
    s.table = this;
    s.since = 0;
    s.len = 0;
    s.head = i;
    held_map_[i] = false;
    s.orphan = kNotOrphaned;
    s.done.store(false, std::memory_order_relaxed);
  }
}

rte_mbuf_ext_shared_info* InflightTable::Hold(uint16_t head, uint32_t len, uint16_t pieces,
                                              uint64_t now) {
  Slot& s = slots_[head];
  held_map_[head] = true;
  s.len = len;
  s.since = now;
  s.orphan = kNotOrphaned;
  // The mbufs reach other threads only through rings and queues, which
  // order this before their free.
  s.done.store(false, std::memory_order_relaxed);
  rte_mbuf_ext_refcnt_set(&s.shinfo, pieces);
  lent_[held_++] = head;
  return &s.shinfo;
}

void InflightTable::BufferFreed(void* /*addr*/, void* opaque) {
  // Release: the owner that sees it done also sees the orphan reason, and
  // nothing touches the buffer any more.
  static_cast<Slot*>(opaque)->done.store(true, std::memory_order_release);
}

uint16_t InflightTable::Collect(Completion* out, uint16_t n, uint64_t now,
                                ZcopyCounters& counters) {
  uint16_t got = 0;
  // The heads lent are few (max_inflight, at most half the ring): looking
  // at each costs less than any hand-off with a locked instruction would.
  for (uint32_t i = 0; i < held_ && got < n;) {
    Slot& s = slots_[lent_[i]];
    if (!s.done.load(std::memory_order_acquire)) {
      ++i;
      continue;
    }
    held_map_[s.head] = false;
    lent_[i] = lent_[--held_];
    const bool orphaned = s.orphan != kNotOrphaned;
    if (orphaned) {
      counters.CountCopy(static_cast<CopyReason>(s.orphan));
    } else {
      counters.packets.Add(1);
      counters.bytes.Add(s.len);
    }
    counters.held_cycles.Add(now - s.since);
    out[got++] = {s.head, orphaned};
  }
  counters.completions.Add(got);
  return got;
}

bool InflightTable::AllDone() const {
  for (uint32_t i = 0; i < held_; ++i) {
    if (!slots_[lent_[i]].done.load(std::memory_order_acquire)) return false;
  }
  return true;
}

void InflightTable::Retire(InflightTable* table) {
  if (table->AllDone()) {
    delete table;
    return;
  }
  std::lock_guard<std::mutex> lock(retired_mu);
  RetiredTables().push_back(table);
}

void InflightTable::NoteOrphan(rte_mbuf_ext_shared_info* shinfo, CopyReason reason) {
  Slot* s = static_cast<Slot*>(shinfo->fcb_opaque);
  if (s->orphan == kNotOrphaned) s->orphan = static_cast<uint8_t>(reason);
}

size_t SweepRetiredInflightTables() {
  std::vector<InflightTable*> done;
  {
    std::lock_guard<std::mutex> lock(retired_mu);
    std::vector<InflightTable*>& tables = RetiredTables();
    for (size_t i = 0; i < tables.size();) {
      if (tables[i]->AllDone()) {
        done.push_back(tables[i]);
        tables[i] = tables.back();
        tables.pop_back();
      } else {
        ++i;
      }
    }
  }
  // Unmapping happens here, outside the lock.
  for (InflightTable* t : done) delete t;
  return done.size();
}

}  // namespace zcswitch
