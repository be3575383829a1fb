// Listening on a Unix stream socket path, the way zcswitch's sockets (the
// control socket, vhost-user server ports) want it: parent directories made,
// a stale socket file replaced, a live one or any other file left alone and
// reported, and the socket created with the given mode from the start.
#ifndef ZCSWITCH_LIB_BASE_UNIX_LISTENER_H_
#define ZCSWITCH_LIB_BASE_UNIX_LISTENER_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zcswitch {

// A non-blocking, close-on-exec listening fd. `what` names the socket in
// errors ("control socket"). AlreadyExists when someone listens on `path` or
// it is not a socket.
absl::StatusOr<int> ListenUnix(const std::string& path, mode_t mode, absl::string_view what);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BASE_UNIX_LISTENER_H_
