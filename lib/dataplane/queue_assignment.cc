#include "lib/dataplane/queue_assignment.h"

#include <algorithm>

namespace zcswitch {

std::vector<std::vector<RxQueueRef>> AssignRxQueues(absl::Span<const uint16_t> rx_queues,
                                                    size_t num_lcores) {
  std::vector<std::vector<RxQueueRef>> by_lcore(num_lcores);
  if (num_lcores == 0) return by_lcore;
  const uint16_t max_queues =
      rx_queues.empty() ? 0 : *std::max_element(rx_queues.begin(), rx_queues.end());
  size_t next = 0;
  for (uint16_t q = 0; q < max_queues; ++q) {
    for (size_t p = 0; p < rx_queues.size(); ++p) {
      if (q >= rx_queues[p]) continue;
      by_lcore[next].push_back({static_cast<uint16_t>(p), q});
      next = (next + 1) % num_lcores;
    }
  }
  return by_lcore;
}

void AssignAddedPort(std::vector<std::vector<RxQueueRef>>& by_lcore, uint16_t port,
                     uint16_t queues) {
  if (by_lcore.empty()) return;
  for (uint16_t q = 0; q < queues; ++q) {
    auto least = std::min_element(by_lcore.begin(), by_lcore.end(),
                                  [](const auto& a, const auto& b) { return a.size() < b.size(); });
    least->push_back({port, q});
  }
}

void UnassignPort(std::vector<std::vector<RxQueueRef>>& by_lcore, uint16_t port) {
  for (auto& list : by_lcore) {
    std::erase_if(list, [port](const RxQueueRef& r) { return r.port == port; });
  }
}

}  // namespace zcswitch
