// A port type as the bridge sees it: one PortDriver row per type (ethdev,
// vhost-user), exported by the type's own file under drivers/ and listed in
// drivers/port_drivers.cc. The bridge opens, sizes and names ports only
// through these rows, so it never includes a driver's header.
#ifndef ZCSWITCH_LIB_BRIDGE_PORT_DRIVER_H_
#define ZCSWITCH_LIB_BRIDGE_PORT_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/mbuf_pools.h"
#include "lib/control/config.h"
#include "lib/dataplane/quiescence.h"
#include "lib/switch/port.h"

namespace zcswitch {

// What the bridge lends a port it opens.
struct PortResources {
  uint16_t tx_queues = 1;  // one per forwarding lcore
  // `small` always; `large` for a driver with large_mbufs.
  MbufPools pools;
  Quiescence* quiescence = nullptr;  // waits for the lcores to let go of something
};

struct PortDriver {
  PortType type;
  absl::string_view name;  // as in `type:` and `port add NAME TYPE`
  // The configuration key that says what the port attaches to, named in
  // errors about opening it ("devargs", "socket").
  absl::string_view attach_key;
  // Whether its ports need the bridge's pool of large (jumbo) mbufs.
  bool large_mbufs = false;
  // Mbufs from the shared pool the port's rings may hold at once.
  unsigned (*ring_mbufs)(const PortConfig& config, unsigned lcores) = nullptr;
  // The port `config` describes, opened but not started.
  absl::StatusOr<std::unique_ptr<Port>> (*open)(const PortConfig& config,
                                                const PortResources& resources) = nullptr;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_BRIDGE_PORT_DRIVER_H_
