// `port add` at run time: the command's words as a PortConfig, and whether a
// new port fits beside the ports already there.
//   port add NAME TYPE TYPE-WORDS [queues N] [vlan N | trunk N,M...]
// where TYPE names a PortDriver row and TYPE-WORDS are that row's own
// arguments (PortDriver::add_args), e.g.
//   port add NAME vhost-user SOCKET [client|server] [queues N] [vlan N | trunk N,M...]
//   port add NAME ethdev DEVARGS [queues N] [vlan N | trunk N,M...]
// The words check what the configuration file checks for the same keys.
#ifndef ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_
#define ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/control/config.h"
#include "lib/control/port_driver.h"

namespace zcswitch {

// One "usage: port add NAME TYPE ..." line per port type.
std::string PortAddUsage(PortDriverTable drivers);

// `args` are the words after `port add`. InvalidArgument, with the usage
// text, for anything else.
absl::StatusOr<PortConfig> ParsePortSpec(absl::Span<const std::string> args,
                                         PortDriverTable drivers);

// AlreadyExists if `port` takes the name of one of `ports`, or what one of
// them is attached to (ports with an empty name are skipped: their ids are
// free).
absl::Status CheckPortFits(const PortConfig& port, absl::Span<const PortConfig> ports,
                           PortDriverTable drivers);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_PORT_SPEC_H_
