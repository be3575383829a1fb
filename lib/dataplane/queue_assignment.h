// Which lcore polls which RX queue: every queue of every port is polled by
// exactly one lcore, and queues are dealt round-robin so that each lcore gets
// as even a share as the counts allow. A port added later is dealt to the
// least loaded lcores, and no queue already polled ever moves: an lcore on
// the previous assignment may still be polling it.
#ifndef ZCSWITCH_LIB_DATAPLANE_QUEUE_ASSIGNMENT_H_
#define ZCSWITCH_LIB_DATAPLANE_QUEUE_ASSIGNMENT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace zcswitch {

struct RxQueueRef {
  uint16_t port;
  uint16_t queue;
  friend bool operator==(const RxQueueRef&, const RxQueueRef&) = default;
};

// `rx_queues[p]` is the number of RX queues of port p. Returns, per lcore
// index in [0, num_lcores), the queues it polls. Queue 0 of every port is
// dealt first, then queue 1, and so on, so a port's queues land on different
// lcores whenever there are enough lcores.
std::vector<std::vector<RxQueueRef>> AssignRxQueues(absl::Span<const uint16_t> rx_queues,
                                                    size_t num_lcores);

// Deals the `queues` RX queues of a port added at run time, one at a time, to
// the lcore with the fewest queues (the lowest index among equals).
void AssignAddedPort(std::vector<std::vector<RxQueueRef>>& by_lcore, uint16_t port,
                     uint16_t queues);

// Takes every queue of `port` off its lcore; the others keep theirs.
void UnassignPort(std::vector<std::vector<RxQueueRef>>& by_lcore, uint16_t port);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_DATAPLANE_QUEUE_ASSIGNMENT_H_
