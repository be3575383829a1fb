#include "lib/control/port_driver.h"

namespace zcswitch {

const PortDriver* FindPortDriver(PortDriverTable drivers, absl::string_view name) {
  for (const PortDriver* driver : drivers) {
    if (driver->name == name) return driver;
  }
  return nullptr;
}

}  // namespace zcswitch
