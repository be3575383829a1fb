#include "drivers/port_drivers.h"

#include "drivers/ethdev/ethdev_port.h"
#include "drivers/vhost_user/vhost_user_port.h"

namespace zcswitch {
namespace {

// Guests first: the order of `port add`'s usage lines and of refusals.
constexpr const PortDriver* kDrivers[] = {&kVhostUserDriver, &kEthdevDriver};

}  // namespace

absl::Span<const PortDriver* const> PortDrivers() { return kDrivers; }

}  // namespace zcswitch
