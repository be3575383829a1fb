#include "drivers/port_drivers.h"

#include "drivers/ethdev/ethdev_port.h"
#include "drivers/vhost_user/vhost_user_port.h"

namespace zcswitch {
namespace {

constexpr const PortDriver* kDrivers[] = {&kEthdevDriver, &kVhostUserDriver};

}  // namespace

absl::Span<const PortDriver* const> PortDrivers() { return kDrivers; }

}  // namespace zcswitch
