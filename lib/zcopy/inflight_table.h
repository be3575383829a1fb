// The descriptors one guest transmit vring has lent out by reference
// (docs/architecture.md, invariants 1 and 2).
//
// A slot per descriptor head. Hold() marks a head lent and gives the
// rte_mbuf_ext_shared_info that every external-buffer mbuf of that packet
// shares; when the last of them is freed, on whatever thread, its free
// callback marks the slot done with one release store: no locked
// instruction on the packet's way. The vring's owner (its lcore, or the
// control thread while the vring is stopped) looks over the heads it lent
// with Collect() and writes the done ones to the used ring: each head comes
// back exactly once, and only after every mbuf into it is gone.
//
// The table keeps the guest memory its buffers point into alive
// (`keepalive`). Retire() is the owner letting go, at a disconnect or when
// the vring stops: heads done after that are never written anywhere. A
// retired table with heads still out waits for the control thread's
// SweepRetiredInflightTables(), which frees it, and with it the memory,
// once they are all done; so no lcore ever unmaps.
#ifndef ZCSWITCH_LIB_ZCOPY_INFLIGHT_TABLE_H_
#define ZCSWITCH_LIB_ZCOPY_INFLIGHT_TABLE_H_

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <memory>

#include "lib/zcopy/zcopy_counters.h"

namespace zcswitch {

class InflightTable {
 public:
  // A head given back (its bytes and hold time are counted by Collect).
  struct Completion {
    uint16_t head;
    bool orphaned;  // copied on its way (its reason is counted)
  };

  // A table for a vring of `queue_size` entries (a power of two) whose
  // buffers lie in memory `keepalive` keeps mapped. Owned by the caller
  // until Retire().
  static InflightTable* Create(uint16_t queue_size, std::shared_ptr<const void> keepalive);

  InflightTable(const InflightTable&) = delete;
  InflightTable& operator=(const InflightTable&) = delete;

  // Owner only. Whether `head` is lent out and not yet collected.
  bool IsHeld(uint16_t head) const { return held_map_[head]; }
  // Owner only. How many heads are lent out and not yet collected.
  uint32_t held() const { return held_; }
  uint16_t queue_size() const { return queue_size_; }

  // Owner only. Lends `head` (not held, below queue_size), a packet of `len`
  // bytes, to `pieces` external-buffer mbufs, which must all be attached to
  // the returned shared info before any is freed. `now` is the TSC.
  rte_mbuf_ext_shared_info* Hold(uint16_t head, uint32_t len, uint16_t pieces, uint64_t now);

  // Owner only. Up to `n` heads given back since the last call, counted into
  // `counters`: completions and hold time; packets and bytes that went by
  // reference; copies by the reason NoteOrphan() gave.
  uint16_t Collect(Completion* out, uint16_t n, uint64_t now, ZcopyCounters& counters);

  // The owner lets go: see the file comment. The table may be gone when
  // this returns. Control thread (or a test's).
  static void Retire(InflightTable* table);

  // Records why an mbuf of `shinfo`'s packet is being copied instead of
  // sent; the reason is counted when its head is collected. The first reason
  // given stands. Any thread that holds the packet.
  static void NoteOrphan(rte_mbuf_ext_shared_info* shinfo, CopyReason reason);

  // Whether `shinfo` belongs to an in-flight table (a zero-copy packet).
  static bool Owns(const rte_mbuf_ext_shared_info* shinfo) {
    return shinfo->free_cb == &BufferFreed;
  }

 private:
  static constexpr uint8_t kNotOrphaned = 0xff;
  struct alignas(64) Slot {
    rte_mbuf_ext_shared_info shinfo;
    InflightTable* table;
    uint64_t since;  // TSC at Hold()
    uint32_t len;
    uint16_t head;
    uint8_t orphan;   // a CopyReason, or kNotOrphaned; written by whoever copies
    std::atomic<bool> done;  // the last mbuf is freed; set by the freeing thread
  };

  InflightTable(uint16_t queue_size, std::shared_ptr<const void> keepalive);
  ~InflightTable() = default;
  static void BufferFreed(void* addr, void* opaque);
  // Whether every head lent is done (read with acquire: after it, nothing
  // touches the buffers).
  bool AllDone() const;

  const uint16_t queue_size_;
  const std::shared_ptr<const void> keepalive_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint16_t[]> lent_;  // the heads held, lent_[0, held_), in no order
  // Owner's view, by head: lent and not collected. Apart from the slots, so
  // that asking about every head a burst takes touches one cache line per
  // 64 heads, not one per head.
  std::unique_ptr<bool[]> held_map_;
  uint32_t held_ = 0;

  friend size_t SweepRetiredInflightTables();
};

// Control thread, now and then: frees retired tables whose last buffer is
// back, unmapping their memory if nothing else holds it. Returns how many
// were freed.
size_t SweepRetiredInflightTables();

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_ZCOPY_INFLIGHT_TABLE_H_
