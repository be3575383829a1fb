// Which ports one forwarding lcore must reap, and when (docs/architecture.md,
// invariant 6).
//
// A device that holds zero-copy packets until it completes them (a NIC
// queue, ZcopyTarget::kReaped) frees them only when its driver looks at its
// ring again, which a lightly loaded queue may not do for a long time. So the
// lcore that sent them notes the port (Sent), and once a note is reap_us old
// the loop reaps that port's TX queue (RunDue), and again every reap_us
// while it keeps sending, and for kLinger rounds after, for packets the
// device had not finished at the last look. Owned by one lcore; no locks.
#ifndef ZCSWITCH_LIB_SWITCH_TX_REAPER_H_
#define ZCSWITCH_LIB_SWITCH_TX_REAPER_H_

#include <cstdint>
#include <vector>

#include "lib/switch/port.h"

namespace zcswitch {

class TxReaper {
 public:
  // Rounds a port is still reaped after the last packet sent to it.
  static constexpr uint32_t kLinger = 64;

  // Made when the lcore starts, which is when its room is reserved.
  explicit TxReaper(uint16_t tx_queue) : tx_queue_(tx_queue) { pending_.reserve(kRoom); }

  // A zero-copy packet went to `port` (a kReaped one) at TSC `now`.
  void Sent(Port* port, uint64_t now) {
    for (Entry& e : pending_) {
      if (e.port == port) {
        e.sent = true;
        return;
      }
    }
    pending_.push_back({port, now, true, 0});
  }

  // Reaps every port whose note is `interval` TSC cycles old.
  void RunDue(uint64_t now, uint64_t interval) {
    for (size_t i = 0; i < pending_.size();) {
      Entry& e = pending_[i];
      if (now - e.since < interval) {
        ++i;
        continue;
      }
      e.port->Reap(tx_queue_);
      e.since = now;
      e.idle = e.sent ? 0 : e.idle + 1;
      e.sent = false;
      if (e.idle > kLinger) {
        pending_[i] = pending_.back();
        pending_.pop_back();
      } else {
        ++i;
      }
    }
  }

  // The port table changes: forget every port (the caller reaps first if
  // it must).
  void Forget() { pending_.clear(); }
  bool empty() const { return pending_.empty(); }

 private:
  struct Entry {
    Port* port;
    uint64_t since;  // last reap, or first note
    bool sent;       // zero-copy packets sent since
    uint32_t idle;   // reaps in a row with none sent between
  };
  const uint16_t tx_queue_;
  // Ports with lent packets in their TX queues: a handful. Room for kRoom
  // is reserved up front, so Sent() allocates only past that many.
  static constexpr size_t kRoom = 32;
  std::vector<Entry> pending_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_TX_REAPER_H_
