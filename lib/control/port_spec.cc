#include "lib/control/port_spec.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace zcswitch {
namespace {

absl::Status Bad(absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(problem, "\n", kPortAddUsage));
}

std::optional<uint16_t> Number(absl::string_view word, int min, int max) {
  int v;
  if (!absl::SimpleAtoi(word, &v) || v < min || v > max) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// Two spellings of one path ("/run/a.sock", "/run//a.sock") are one socket.
bool SamePath(const std::string& a, const std::string& b) {
  std::error_code ec_a, ec_b;
  const std::filesystem::path pa = std::filesystem::weakly_canonical(a, ec_a);
  const std::filesystem::path pb = std::filesystem::weakly_canonical(b, ec_b);
  return (ec_a || ec_b) ? a == b : pa == pb;
}

}  // namespace

absl::StatusOr<PortConfig> ParsePortSpec(absl::Span<const std::string> args) {
  if (args.size() < 3) return Bad("port add needs a name, a type and a socket or devargs");
  PortConfig port;
  port.name = args[0];
  if (!IsPortName(port.name)) {
    return Bad(absl::StrFormat("\"%s\" is not a port name (1-%d letters, digits, '_' or '-'; "
                               "not \"all\")",
                               port.name, kMaxPortName));
  }
  if (args[2].empty()) return Bad("empty socket path or devargs");
  if (args[1] == "vhost-user") {
    port.type = "vhost-user";
    port.socket = args[2];
  } else if (args[1] == "ethdev") {
    port.type = "ethdev";
    port.devargs = args[2];
    if (port.devargs[0] == ',') return Bad("empty device name");
  } else {
    return Bad(absl::StrFormat("unknown port type \"%s\" (expected vhost-user or ethdev)",
                               args[1]));
  }
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string& word = args[i];
    if ((word == "client" || word == "server") && port.type == "vhost-user") {
      port.mode = word == "client" ? VhostMode::kClient : VhostMode::kServer;
      continue;
    }
    if (word != "queues" && word != "vlan" && word != "trunk") {
      return Bad(absl::StrFormat("unexpected \"%s\"", word));
    }
    if (i + 1 == args.size()) return Bad(absl::StrFormat("%s needs a value", word));
    const std::string& value = args[++i];
    if (word == "queues") {
      const std::optional<uint16_t> n = Number(value, 1, kMaxPortQueues);
      if (!n) return Bad(absl::StrFormat("queues must be 1 to %d", kMaxPortQueues));
      port.queues = *n;
      continue;
    }
    if (port.vlan || !port.trunk.empty()) {
      return Bad("a port is either an access port (vlan) or a trunk, not both");
    }
    for (absl::string_view v : absl::StrSplit(value, ',')) {
      const std::optional<uint16_t> id = Number(v, 1, 4094);
      if (!id) return Bad(absl::StrFormat("\"%s\" is not a VLAN (1-4094)", v));
      if (word == "vlan") {
        if (value.find(',') != std::string::npos) return Bad("an access port has one VLAN");
        port.vlan = *id;
      } else if (std::find(port.trunk.begin(), port.trunk.end(), *id) != port.trunk.end()) {
        return Bad(absl::StrFormat("VLAN %d listed twice", *id));
      } else {
        port.trunk.push_back(*id);
      }
    }
  }
  return port;
}

absl::Status CheckPortFits(const PortConfig& port, absl::Span<const PortConfig> ports) {
  for (const PortConfig& p : ports) {
    if (p.name.empty()) continue;
    if (p.name == port.name) {
      return absl::AlreadyExistsError(absl::StrFormat("a port named %s exists", port.name));
    }
    if (p.type == "ethdev" && port.type == "ethdev" &&
        DeviceOf(p) == DeviceOf(port)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("device %s is already port %s", DeviceOf(port), p.name));
    }
    if (p.type == "vhost-user" && port.type == "vhost-user" &&
        SamePath(p.socket, port.socket)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("socket %s is already port %s", port.socket, p.name));
    }
  }
  return absl::OkStatus();
}

}  // namespace zcswitch
