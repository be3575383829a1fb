#include "lib/zcopy/inflight_table.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace zcswitch {
namespace {

// Retired tables freed on an lcore wait here for the control thread: a
// lock-free stack, emptied whole, so no ABA.
std::atomic<InflightTable*> retired_tables{nullptr};

}  // namespace

InflightTable* InflightTable::Create(uint16_t queue_size, std::shared_ptr<const void> keepalive) {
  return new InflightTable(queue_size, std::move(keepalive));
}

InflightTable::InflightTable(uint16_t queue_size, std::shared_ptr<const void> keepalive)
    : queue_size_(queue_size),
      keepalive_(std::move(keepalive)),
      slots_(std::make_unique<Slot[]>(queue_size)) {
  for (uint16_t i = 0; i < queue_size; ++i) {
    Slot& s = slots_[i];
    s.shinfo.free_cb = &BufferFreed;
    s.shinfo.fcb_opaque = &s;
    rte_mbuf_ext_refcnt_set(&s.shinfo, 0);
    s.table = this;
    s.since = 0;
    s.len = 0;
    s.head = i;
    s.held = false;
    s.orphan = kNotOrphaned;
  }
  // Twice the queue: a ring of 2^k holds 2^k - 1, and every head may be out.
  const unsigned count = 2u * queue_size;
  const ssize_t size = rte_ring_get_memsize_elem(sizeof(uint32_t), count);
  void* mem = std::aligned_alloc(RTE_CACHE_LINE_SIZE,
                                 (static_cast<size_t>(size) + RTE_CACHE_LINE_SIZE - 1) &
                                     ~size_t{RTE_CACHE_LINE_SIZE - 1});
  if (mem == nullptr) throw std::bad_alloc();
  returned_ = static_cast<rte_ring*>(mem);
  // The name is for debugging only; rte_ring_init registers nothing.
  rte_ring_init(returned_, "zc_inflight", count, RING_F_SC_DEQ);
}

InflightTable::~InflightTable() { std::free(returned_); }

rte_mbuf_ext_shared_info* InflightTable::Hold(uint16_t head, uint32_t len, uint16_t pieces,
                                              uint64_t now) {
  Slot& s = slots_[head];
  s.held = true;
  s.len = len;
  s.since = now;
  s.orphan = kNotOrphaned;
  rte_mbuf_ext_refcnt_set(&s.shinfo, pieces);
  ++held_;
  refs_.fetch_add(1, std::memory_order_relaxed);
  return &s.shinfo;
}

void InflightTable::BufferFreed(void* /*addr*/, void* opaque) {
  Slot* s = static_cast<Slot*>(opaque);
  InflightTable* t = s->table;
  uint32_t head = s->head;
  // Cannot fail: the ring holds more entries than the queue has heads.
  rte_ring_mp_enqueue_elem(t->returned_, &head, sizeof(head));
  t->Unref(1);
}

void InflightTable::Unref(uint32_t n) {
  if (refs_.fetch_sub(n, std::memory_order_acq_rel) != n) return;
  // The last reference: the owner has retired it and this was the last
  // buffer. An lcore must not munmap; the control thread sweeps.
  InflightTable* top = retired_tables.load(std::memory_order_relaxed);
  do {
    next_retired_ = top;
  } while (!retired_tables.compare_exchange_weak(top, this, std::memory_order_release,
                                                 std::memory_order_relaxed));
}

uint16_t InflightTable::Collect(Completion* out, uint16_t n, uint64_t now,
                                ZcopyCounters& counters) {
  uint32_t heads[64];
  uint16_t got = 0;
  while (got < n) {
    const unsigned want = std::min<unsigned>(n - got, 64);
    const unsigned k = rte_ring_sc_dequeue_burst_elem(returned_, heads, sizeof(uint32_t), want,
                                                      nullptr);
    for (unsigned i = 0; i < k; ++i) {
      Slot& s = slots_[heads[i]];
      s.held = false;
      const bool orphaned = s.orphan != kNotOrphaned;
      if (orphaned) {
        counters.CountCopy(static_cast<CopyReason>(s.orphan));
      } else {
        counters.packets.Add(1);
        counters.bytes.Add(s.len);
      }
      out[got++] = {s.head, s.len, orphaned, now - s.since};
      counters.held_cycles.Add(now - s.since);
    }
    held_ -= k;
    counters.completions.Add(k);
    if (k < want) break;
  }
  return got;
}

void InflightTable::Retire(InflightTable* table) {
  if (table->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete table;
}

void InflightTable::NoteOrphan(rte_mbuf_ext_shared_info* shinfo, CopyReason reason) {
  Slot* s = static_cast<Slot*>(shinfo->fcb_opaque);
  if (s->orphan == kNotOrphaned) s->orphan = static_cast<uint8_t>(reason);
}

size_t SweepRetiredInflightTables() {
  InflightTable* t = retired_tables.exchange(nullptr, std::memory_order_acquire);
  size_t freed = 0;
  while (t != nullptr) {
    InflightTable* next = t->next_retired_;
    delete t;
    ++freed;
    t = next;
  }
  return freed;
}

}  // namespace zcswitch
