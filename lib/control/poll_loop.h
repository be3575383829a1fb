// The control thread's one wait: every source of control-plane events (the
// control socket, vhost-user sockets) says which fds it wants watched and
// for what; PollOnce() waits on all of them together and hands each source
// its results. Nothing here runs on a data-path lcore.
#ifndef ZCSWITCH_LIB_CONTROL_POLL_LOOP_H_
#define ZCSWITCH_LIB_CONTROL_POLL_LOOP_H_

#include <poll.h>

#include <vector>

#include "absl/types/span.h"

namespace zcswitch {

class PollSource {
 public:
  virtual ~PollSource() = default;
  // Appends the fds to watch now, with the events wanted.
  virtual void AddFds(std::vector<pollfd>& fds) = 0;
  // The results for exactly the fds AddFds appended, in the same order.
  virtual void Dispatch(absl::Span<const pollfd> fds) = 0;
};

// Waits up to `timeout_ms` for any source's fds, then dispatches to every
// source (also when nothing happened, so sources may do timed work).
void PollOnce(absl::Span<PollSource* const> sources, int timeout_ms);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_POLL_LOOP_H_
