// A statistics counter with one writer and any number of readers.
//
// The writing lcore adds with a relaxed load and store (no locked
// instruction), readers load relaxed: a reader may see a value a few
// increments old, never a torn one. Counters are never reset; "clear"
// remembers a baseline on the reader's side instead.
#ifndef ZCSWITCH_LIB_BASE_COUNTER_H_
#define ZCSWITCH_LIB_BASE_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace zcswitch {

class Counter {
 public:
  // Only the owning thread may call Add.
  void Add(uint64_t delta) {
    value_.store(value_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  uint64_t Read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BASE_COUNTER_H_
