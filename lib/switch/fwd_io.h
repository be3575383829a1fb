// `io` forwarding: fixed port pairs, each forwarding both ways, packets
// untouched (testpmd's io mode; the benchmark baseline).
#ifndef ZCSWITCH_LIB_SWITCH_FWD_IO_H_
#define ZCSWITCH_LIB_SWITCH_FWD_IO_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/switch/fwd_engine.h"
#include "lib/switch/fwd_mode.h"

namespace zcswitch {

class IoEngine : public FwdEngine {
 public:
  // `pairs` name ports in `port_names` (index = port id). A port is in at most
  // one pair and never paired with itself; a port in no pair drops what it
  // receives as no_route.
  static absl::StatusOr<std::unique_ptr<IoEngine>> Create(
      absl::Span<const std::pair<std::string, std::string>> pairs,
      absl::Span<const std::string> port_names);

  absl::string_view name() const override { return "io"; }
  void Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue, rte_mbuf** pkts,
               uint16_t n) override;

  // Port id that `port` forwards to, or -1.
  int peer(uint16_t port) const { return port < peer_.size() ? peer_[port] : -1; }

 private:
  explicit IoEngine(std::vector<int> peer) : peer_(std::move(peer)) {}
  std::vector<int> peer_;
};

extern const FwdMode kIoMode;

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_SWITCH_FWD_IO_H_
