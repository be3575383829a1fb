#include "lib/control/poll_loop.h"

namespace zcswitch {

void PollOnce(absl::Span<PollSource* const> sources, int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<size_t> counts;
  for (PollSource* s : sources) {
    const size_t before = fds.size();
    s->AddFds(fds);
    counts.push_back(fds.size() - before);
  }
  if (poll(fds.data(), fds.size(), timeout_ms) < 0) {
    for (pollfd& p : fds) p.revents = 0;  // EINTR: a signal; nothing to hand out
  }
  size_t at = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    sources[i]->Dispatch(absl::MakeConstSpan(fds).subspan(at, counts[i]));
    at += counts[i];
  }
}

}  // namespace zcswitch
