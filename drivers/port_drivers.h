// Every port type zcswitchd can open, as one table of PortDriver rows: adding
// a port type is its own folder under drivers/ and one row here.
#ifndef ZCSWITCH_DRIVERS_PORT_DRIVERS_H_
#define ZCSWITCH_DRIVERS_PORT_DRIVERS_H_

#include "absl/types/span.h"
#include "lib/control/port_driver.h"

namespace zcswitch {

absl::Span<const PortDriver* const> PortDrivers();

}  // namespace zcswitch

#endif  // ZCSWITCH_DRIVERS_PORT_DRIVERS_H_
