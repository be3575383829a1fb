// The zero-copy knobs the data path reads at run time (`zcopy:` in the
// configuration, `set zcopy ...` on the CLI). One object serves every port;
// the control thread stores, lcores load relaxed once per burst, so a change
// takes effect within a burst and needs no quiescence: every value is safe
// to act on alone.
#ifndef ZCSWITCH_LIB_ZCOPY_ZCOPY_SETTINGS_H_
#define ZCSWITCH_LIB_ZCOPY_ZCOPY_SETTINGS_H_

#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace zcswitch {

class ZcopySettings {
 public:
  struct Values {
    bool enabled = true;
    // Packets of at most this many bytes are copied: below about 1440 B,
    // lending costs the lcore more than copying (make bench's break-even;
    // README, Performance).
    uint32_t copy_threshold = 1440;
    uint32_t max_inflight = 64;     // held descriptors per vring (capped at half the ring)
    uint32_t reap_us = 50;          // held this long, a device's completions are reaped
    uint32_t header_bytes = 128;    // copied into a host mbuf before the rest is referenced
  };

  ZcopySettings() = default;
  explicit ZcopySettings(const Values& v) { Set(v); }

  Values Get() const {
    return {enabled_.load(std::memory_order_relaxed),
            copy_threshold_.load(std::memory_order_relaxed),
            max_inflight_.load(std::memory_order_relaxed), reap_us_.load(std::memory_order_relaxed),
            header_bytes_.load(std::memory_order_relaxed)};
  }
  void Set(const Values& v) {
    enabled_.store(v.enabled, std::memory_order_relaxed);
    copy_threshold_.store(v.copy_threshold, std::memory_order_relaxed);
    max_inflight_.store(v.max_inflight, std::memory_order_relaxed);
    reap_us_.store(v.reap_us, std::memory_order_relaxed);
    header_bytes_.store(v.header_bytes, std::memory_order_relaxed);
  }

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  uint32_t copy_threshold() const { return copy_threshold_.load(std::memory_order_relaxed); }
  uint32_t max_inflight() const { return max_inflight_.load(std::memory_order_relaxed); }
  uint32_t reap_us() const { return reap_us_.load(std::memory_order_relaxed); }
  uint32_t header_bytes() const { return header_bytes_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> enabled_{true};
  std::atomic<uint32_t> copy_threshold_{1440};
  std::atomic<uint32_t> max_inflight_{64};
  std::atomic<uint32_t> reap_us_{50};
  std::atomic<uint32_t> header_bytes_{128};
};

// The numeric knobs: their `zcopy:` keys and `set zcopy` words, the values
// each may take (one list for the configuration and the CLI), and their help.
struct ZcopyKnob {
  absl::string_view name;
  uint32_t ZcopySettings::Values::*field;
  uint32_t min;
  uint32_t max;
  absl::string_view help;
};

inline constexpr ZcopyKnob kZcopyKnobs[] = {
    {"copy_threshold", &ZcopySettings::Values::copy_threshold, 0, 65535,
     "copy guest packets of at most N bytes rather than lend them"},
    {"max_inflight", &ZcopySettings::Values::max_inflight, 1, 32768,
     "lend at most N buffers per guest queue (and at most half its ring)"},
    {"reap_us", &ZcopySettings::Values::reap_us, 1, 1000000,
     "reap a NIC TX queue whose lent buffers have waited N microseconds"},
    {"header_bytes", &ZcopySettings::Values::header_bytes, 64, 512,
     "copy at least N bytes of each lent packet into a host mbuf"},
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_ZCOPY_ZCOPY_SETTINGS_H_
