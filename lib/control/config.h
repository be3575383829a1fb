// The configuration model of zcswitchd and its YAML loader.
//
// LoadConfigFile() parses and validates a whole file before anything starts:
// every error names the file, the line, the key path (for example
// `ports[1].name`) and the problem, and comes back as InvalidArgument. A
// Config that loads is consistent: port names are unique, every reference to a
// port names one that exists, and every number is in range.
#ifndef ZCSWITCH_LIB_CONTROL_CONFIG_H_
#define ZCSWITCH_LIB_CONTROL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/control/mac_addr.h"
#include "lib/zcopy/zcopy_settings.h"

namespace zcswitch {

struct PortDriver;

enum class VhostMode { kServer, kClient };

inline constexpr uint16_t kMaxPortQueues = 64;
inline constexpr size_t kMaxPortName = 32;

struct PortConfig {
  std::string name;
  std::string type = "ethdev";  // a PortDriver's name
  uint16_t queues = 1;
  std::optional<uint16_t> vlan;  // access port tag
  std::vector<uint16_t> trunk;   // trunk port VLANs
  // ethdev
  std::string devargs;
  // Whether zero-copy packets may go to it by reference; unset: the driver
  // decides (drivers/ethdev/ethdev_port.cc).
  std::optional<bool> zcopy_ok;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  // vhost-user
  std::string socket;
  VhostMode mode = VhostMode::kServer;
};

// Whether `name` may name a port: 1 to kMaxPortName letters, digits, '_' or
// '-', and not `all`.
bool IsPortName(absl::string_view name);

struct ForwardingConfig {
  std::string mode = "l2switch";  // a FwdModes() name
  std::vector<unsigned> lcores = {1};
  std::vector<std::pair<std::string, std::string>> pairs;
  uint32_t tx_retries = 8;
};

struct StaticFdbEntry {
  MacAddr mac;
  uint16_t vlan = 0;  // 0: untagged
  std::string port;
};

struct FdbConfig {
  uint32_t aging_s = 300;
  std::vector<StaticFdbEntry> static_entries;
};

// `zcopy:`, the knobs' values at start.
using ZcopyConfig = ZcopySettings::Values;

struct Config {
  std::string source;  // file name, for messages about values found later
  std::vector<std::string> eal;
  ForwardingConfig forwarding;
  FdbConfig fdb;
  ZcopyConfig zcopy;
  std::vector<PortConfig> ports;

};

// Parses YAML text; `source` names it in error messages.
// `drivers` are the port types there are (drivers/port_drivers.h).
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source,
                                   absl::Span<const PortDriver* const> drivers);

// Reads and parses a file.
absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      absl::Span<const PortDriver* const> drivers);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_CONFIG_H_
