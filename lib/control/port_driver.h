// A port type, as one PortDriver row: its name, the configuration keys it
// takes and how it reads them, what two of its ports may not share, and how
// the bridge opens and sizes one. Each type's row is exported by its own
// file under drivers/ and listed in drivers/port_drivers.cc; the
// configuration loader, `port add` and the bridge read ports only through
// these rows, so none of them includes a driver's header.
#ifndef ZCSWITCH_LIB_CONTROL_PORT_DRIVER_H_
#define ZCSWITCH_LIB_CONTROL_PORT_DRIVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/base/mbuf_pools.h"
#include "lib/control/command_args.h"
#include "lib/control/config.h"
#include "lib/control/config_reader.h"
#include "lib/switch/port.h"

namespace zcswitch {

class Quiescence;
class ZcopySettings;
class GuestDmaSlot;

// What the bridge lends a port it opens.
struct PortResources {
  uint16_t tx_queues = 1;  // one per forwarding lcore
  // `small` always; `large` for a driver with large_mbufs.
  MbufPools pools;
  Quiescence* quiescence = nullptr;  // waits for the lcores to let go of something
  // Zero-copy's knobs; nullptr: the port never lends guest buffers.
  const ZcopySettings* zcopy = nullptr;
  // Registers guest memory for the DMA of devices that need it.
  const GuestDmaSlot* dma = nullptr;
};

struct PortDriver {
  absl::string_view name;  // as in `type:` and `port add NAME TYPE`
  // The key that says what the port attaches to ("devargs", "socket"):
  // required, and named in errors about opening the port.
  absl::string_view attach_key;
  // The keys it takes beside the common ones (name, type, queues, vlan,
  // trunk), attach_key among them.
  absl::Span<const absl::string_view> keys;
  // Reads its keys from a port's mapping into `port`; the common keys are
  // read, and unknown keys refused, before.
  absl::Status (*parse_config)(const ConfigReader& reader, const YAML::Node& node,
                               const std::string& path, PortConfig& port) = nullptr;
  // What no two ports may share, as words for messages ("device net_null0",
  // "socket /run/vm1.sock").
  std::string (*attachment)(const PortConfig& port) = nullptr;
  // `port add NAME TYPE ...`: declares the words that follow TYPE (the
  // options every port takes come after them), and reads their values into
  // `port`.
  void (*add_args)(ArgList& args) = nullptr;
  absl::Status (*from_args)(const CommandArgs& args, PortConfig& port) = nullptr;

  // Whether its ports need the bridge's pool of large (jumbo) mbufs.
  bool large_mbufs = false;
  // Mbufs from the shared pool the port's rings may hold at once.
  unsigned (*ring_mbufs)(const PortConfig& config, unsigned lcores) = nullptr;
  // The port `config` describes, opened but not started.
  absl::StatusOr<std::unique_ptr<Port>> (*open)(const PortConfig& config,
                                                const PortResources& resources) = nullptr;
};

using PortDriverTable = absl::Span<const PortDriver* const>;

// The row called `name`, or nullptr.
const PortDriver* FindPortDriver(PortDriverTable drivers, absl::string_view name);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_PORT_DRIVER_H_
