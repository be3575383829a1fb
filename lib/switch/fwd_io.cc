#include "lib/switch/fwd_io.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace zcswitch {

absl::StatusOr<std::unique_ptr<IoEngine>> IoEngine::Create(
    absl::Span<const std::pair<std::string, std::string>> pairs,
    absl::Span<const std::string> port_names) {
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < port_names.size(); ++i) {
      if (port_names[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  std::vector<int> peer(port_names.size(), -1);
  for (const auto& [a, b] : pairs) {
    const int ia = find(a);
    const int ib = find(b);
    if (ia < 0 || ib < 0) {
      return absl::NotFoundError(
          absl::StrFormat("io pair [%s, %s]: no port named \"%s\"", a, b, ia < 0 ? a : b));
    }
    if (ia == ib) {
      return absl::InvalidArgumentError(
          absl::StrFormat("io pair [%s, %s]: a port cannot be paired with itself", a, b));
    }
    if (peer[ia] >= 0 || peer[ib] >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "io pair [%s, %s]: port \"%s\" is already paired", a, b, peer[ia] >= 0 ? a : b));
    }
    peer[ia] = ib;
    peer[ib] = ia;
  }
  return std::unique_ptr<IoEngine>(new IoEngine(std::move(peer)));
}

void IoEngine::Forward(const FwdContext& ctx, uint16_t in_port, uint16_t in_queue, rte_mbuf** pkts,
                       uint16_t n) {
  const int out = peer_[in_port];
  if (out < 0) {
    DropBurst(ctx.ports[in_port]->stats().rx(in_queue), DropReason::kNoRoute, pkts, n);
    return;
  }
  SendBurst(ctx, *ctx.ports[out], pkts, n);
}

const FwdMode kIoMode = {
    .name = "io",
    .help = "fixed port pairs, each forwarding both ways, packets untouched",
    .needs_pairs = true,
    .create = [](const FwdModeContext& c) -> absl::StatusOr<std::unique_ptr<FwdEngine>> {
      return IoEngine::Create(c.pairs, c.port_names);
    },
};

}  // namespace zcswitch
