// `port add` at run time: the command's words as a PortConfig, and whether a
// new port fits beside the ports already there.
//   port add NAME vhost-user SOCKET [client|server] [queues N] [vlan N | trunk N[,N...]]
//   port add NAME ethdev DEVARGS [queues N] [vlan N | trunk N[,N...]]
// A vhost-user port is a socket server unless `client` is given. The words
// check what the configuration file checks for the same keys.
#ifndef ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_
#define ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/control/config.h"

namespace zcswitch {

inline constexpr absl::string_view kPortAddUsage =
    "usage: port add NAME vhost-user SOCKET [client|server] [queues N] [vlan N | trunk N[,N...]]\n"
    "       port add NAME ethdev DEVARGS [queues N] [vlan N | trunk N[,N...]]";

// `args` are the words after `port add`. InvalidArgument, with the usage
// text, for anything else.
absl::StatusOr<PortConfig> ParsePortSpec(absl::Span<const std::string> args);

// AlreadyExists if `port` takes the name, the device or the socket of one of
// `ports` (ports with an empty name are skipped: their ids are free).
absl::Status CheckPortFits(const PortConfig& port, absl::Span<const PortConfig> ports);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_
