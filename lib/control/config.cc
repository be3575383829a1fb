// YAML is parsed in two passes: syntax (yaml-cpp builds a node tree; each
// mapping is checked for unknown keys and each scalar for its type and range)
// and then meaning (names unique, references resolved, options consistent).
// yaml-cpp reports errors by exception; they are caught here and never leave
// this file.
#include "lib/control/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "lib/switch/fwd_mode.h"
#include "yaml-cpp/yaml.h"

namespace zcswitch {
namespace {

constexpr unsigned kMaxLcore = 127;  // DPDK's default RTE_MAX_LCORE - 1

// Builds errors that name source, line, column and key path.
class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::Status Error(const YAML::Node& node, absl::string_view path,
                     absl::string_view problem) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", path, ": ", problem));
    }
    return absl::InvalidArgumentError(absl::StrFormat("%s:%d:%d: %s: %s", source_, mark.line + 1,
                                                      mark.column + 1, path, problem));
  }

  absl::Status ExpectMap(const YAML::Node& node, absl::string_view path,
                         std::initializer_list<absl::string_view> allowed) const {
    if (!node.IsMap()) return Error(node, path, "expected a mapping");
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      bool known = false;
      for (absl::string_view a : allowed) known |= (a == key);
      if (!known) {
        return Error(
            kv.first, Join(path, key),
            absl::StrCat("unknown key (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, absl::string_view path) const {
    if (!node.IsScalar()) return Error(node, path, "expected a string");
    return node.Scalar();
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view path) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      return Error(node, path, "expected true or false");
    }
    return value;
  }

  absl::StatusOr<uint64_t> Uint(const YAML::Node& node, absl::string_view path, uint64_t min,
                                uint64_t max) const {
    int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value)) {
      return Error(node, path, "expected an integer");
    }
    if (value < 0 || static_cast<uint64_t>(value) < min || static_cast<uint64_t>(value) > max) {
      return Error(node, path, absl::StrFormat("%d is out of range [%d, %d]", value, min, max));
    }
    return static_cast<uint64_t>(value);
  }

  absl::Status ExpectSeq(const YAML::Node& node, absl::string_view path) const {
    if (!node.IsSequence()) return Error(node, path, "expected a list");
    return absl::OkStatus();
  }

  static std::string Join(absl::string_view path, absl::string_view key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }
  static std::string Index(absl::string_view path, size_t i) {
    return absl::StrCat(path, "[", i, "]");
  }

 private:
  std::string source_;
};

absl::Status ParseVlanId(const Reader& r, const YAML::Node& node, absl::string_view path,
                         uint16_t& out) {
  uint64_t v;
  ZC_ASSIGN_OR_RETURN(v, r.Uint(node, path, 1, 4094));
  out = static_cast<uint16_t>(v);
  return absl::OkStatus();
}

absl::Status ParsePort(const Reader& r, const YAML::Node& node, const std::string& path,
                       PortConfig& port) {
  ZC_RETURN_IF_ERROR(r.ExpectMap(node, path,
                                 {"name", "type", "queues", "vlan", "trunk", "devargs", "zcopy_ok",
                                  "rx_desc", "tx_desc", "socket", "mode"}));
  if (!node["name"]) return r.Error(node, path, "missing key 'name'");
  if (!node["type"]) return r.Error(node, path, "missing key 'type'");
  ZC_ASSIGN_OR_RETURN(port.name, r.String(node["name"], path + ".name"));
  if (!IsPortName(port.name)) {
    return r.Error(node["name"], path + ".name",
                   absl::StrFormat("\"%s\" is not a port name (1-%d letters, digits, "
                                   "'_' or '-'; not \"all\")",
                                   port.name, kMaxPortName));
  }
  std::string type;
  ZC_ASSIGN_OR_RETURN(type, r.String(node["type"], path + ".type"));
  if (type == "ethdev") {
    port.type = PortType::kEthdev;
  } else if (type == "vhost-user") {
    port.type = PortType::kVhostUser;
  } else {
    return r.Error(node["type"], path + ".type",
                   absl::StrFormat("unknown port type \"%s\" (expected ethdev or "
                                   "vhost-user)",
                                   type));
  }
  if (node["queues"]) {
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node["queues"], path + ".queues", 1, kMaxPortQueues));
    port.queues = static_cast<uint16_t>(v);
  }
  if (node["vlan"] && node["trunk"]) {
    return r.Error(node["trunk"], path + ".trunk",
                   "a port is either an access port (vlan) or a trunk, not both");
  }
  if (node["vlan"]) {
    uint16_t v;
    ZC_RETURN_IF_ERROR(ParseVlanId(r, node["vlan"], path + ".vlan", v));
    port.vlan = v;
  }
  if (node["trunk"]) {
    const YAML::Node trunk = node["trunk"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(trunk, path + ".trunk"));
    if (trunk.size() == 0) return r.Error(trunk, path + ".trunk", "empty VLAN list");
    absl::flat_hash_set<uint16_t> seen;
    for (size_t i = 0; i < trunk.size(); ++i) {
      uint16_t v;
      const std::string p = Reader::Index(path + ".trunk", i);
      ZC_RETURN_IF_ERROR(ParseVlanId(r, trunk[i], p, v));
      if (!seen.insert(v).second) {
        return r.Error(trunk[i], p, absl::StrFormat("VLAN %d listed twice", v));
      }
      port.trunk.push_back(v);
    }
  }

  const char* ethdev_only[] = {"devargs", "zcopy_ok", "rx_desc", "tx_desc"};
  const char* vhost_only[] = {"socket", "mode"};
  if (port.type == PortType::kEthdev) {
    for (const char* key : vhost_only) {
      if (node[key]) {
        return r.Error(node[key], Reader::Join(path, key), "only vhost-user ports take this key");
      }
    }
    if (!node["devargs"]) return r.Error(node, path, "missing key 'devargs'");
    ZC_ASSIGN_OR_RETURN(port.devargs, r.String(node["devargs"], path + ".devargs"));
    if (port.devargs.empty() || port.devargs[0] == ',') {
      return r.Error(node["devargs"], path + ".devargs", "empty device name");
    }
    if (node["zcopy_ok"]) {
      ZC_ASSIGN_OR_RETURN(port.zcopy_ok, r.Bool(node["zcopy_ok"], path + ".zcopy_ok"));
    }
    for (auto [key, field] :
         {std::pair{"rx_desc", &port.rx_desc}, std::pair{"tx_desc", &port.tx_desc}}) {
      if (!node[key]) continue;
      uint64_t v;
      ZC_ASSIGN_OR_RETURN(v, r.Uint(node[key], Reader::Join(path, key), 64, 16384));
      *field = static_cast<uint16_t>(v);
    }
  } else {
    for (const char* key : ethdev_only) {
      if (node[key]) {
        return r.Error(node[key], Reader::Join(path, key), "only ethdev ports take this key");
      }
    }
    if (!node["socket"]) return r.Error(node, path, "missing key 'socket'");
    ZC_ASSIGN_OR_RETURN(port.socket, r.String(node["socket"], path + ".socket"));
    if (port.socket.empty()) {
      return r.Error(node["socket"], path + ".socket", "empty socket path");
    }
    if (node["mode"]) {
      std::string mode;
      ZC_ASSIGN_OR_RETURN(mode, r.String(node["mode"], path + ".mode"));
      if (mode == "server") {
        port.mode = VhostMode::kServer;
      } else if (mode == "client") {
        port.mode = VhostMode::kClient;
      } else {
        return r.Error(node["mode"], path + ".mode",
                       absl::StrFormat("unknown mode \"%s\" (expected server or client)", mode));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseForwarding(const Reader& r, const YAML::Node& node, ForwardingConfig& fwd) {
  ZC_RETURN_IF_ERROR(r.ExpectMap(node, "forwarding", {"mode", "lcores", "pairs", "tx_retries"}));
  if (node["mode"]) {
    std::string mode;
    ZC_ASSIGN_OR_RETURN(mode, r.String(node["mode"], "forwarding.mode"));
    if (FindFwdMode(mode) == nullptr) {
      return r.Error(node["mode"], "forwarding.mode",
                     absl::StrFormat("unknown mode \"%s\" (expected one of: %s)", mode,
                                     FwdModeChoices(", ")));
    }
    fwd.mode = std::move(mode);
  }
  if (node["lcores"]) {
    const YAML::Node lcores = node["lcores"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(lcores, "forwarding.lcores"));
    if (lcores.size() == 0) {
      return r.Error(lcores, "forwarding.lcores", "needs at least one lcore");
    }
    fwd.lcores.clear();
    absl::flat_hash_set<unsigned> seen;
    for (size_t i = 0; i < lcores.size(); ++i) {
      const std::string p = Reader::Index("forwarding.lcores", i);
      uint64_t v;
      ZC_ASSIGN_OR_RETURN(v, r.Uint(lcores[i], p, 0, kMaxLcore));
      if (!seen.insert(v).second) {
        return r.Error(lcores[i], p, absl::StrFormat("lcore %d listed twice", v));
      }
      fwd.lcores.push_back(static_cast<unsigned>(v));
    }
  }
  if (node["pairs"]) {
    const YAML::Node pairs = node["pairs"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(pairs, "forwarding.pairs"));
    for (size_t i = 0; i < pairs.size(); ++i) {
      const std::string p = Reader::Index("forwarding.pairs", i);
      if (!pairs[i].IsSequence() || pairs[i].size() != 2) {
        return r.Error(pairs[i], p, "expected a pair of port names, [a, b]");
      }
      std::string a, b;
      ZC_ASSIGN_OR_RETURN(a, r.String(pairs[i][0], p + "[0]"));
      ZC_ASSIGN_OR_RETURN(b, r.String(pairs[i][1], p + "[1]"));
      fwd.pairs.emplace_back(a, b);
    }
  }
  if (node["tx_retries"]) {
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node["tx_retries"], "forwarding.tx_retries", 0, 1000));
    fwd.tx_retries = static_cast<uint32_t>(v);
  }
  return absl::OkStatus();
}

absl::Status ParseFdb(const Reader& r, const YAML::Node& node, FdbConfig& fdb) {
  ZC_RETURN_IF_ERROR(r.ExpectMap(node, "fdb", {"aging_s", "static"}));
  if (node["aging_s"]) {
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node["aging_s"], "fdb.aging_s", 1, 1000000));
    fdb.aging_s = static_cast<uint32_t>(v);
  }
  if (node["static"]) {
    const YAML::Node entries = node["static"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(entries, "fdb.static"));
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string p = Reader::Index("fdb.static", i);
      const YAML::Node e = entries[i];
      ZC_RETURN_IF_ERROR(r.ExpectMap(e, p, {"mac", "vlan", "port"}));
      if (!e["mac"]) return r.Error(e, p, "missing key 'mac'");
      if (!e["port"]) return r.Error(e, p, "missing key 'port'");
      StaticFdbEntry entry;
      std::string mac;
      ZC_ASSIGN_OR_RETURN(mac, r.String(e["mac"], p + ".mac"));
      std::optional<MacAddr> parsed = MacAddr::Parse(mac);
      if (!parsed) {
        return r.Error(e["mac"], p + ".mac",
                       absl::StrFormat("\"%s\" is not a MAC address "
                                       "(xx:xx:xx:xx:xx:xx)",
                                       mac));
      }
      if (parsed->IsMulticast() || parsed->IsZero()) {
        return r.Error(e["mac"], p + ".mac", absl::StrFormat("%s is not a unicast address", mac));
      }
      entry.mac = *parsed;
      if (e["vlan"]) {
        uint64_t v;
        ZC_ASSIGN_OR_RETURN(v, r.Uint(e["vlan"], p + ".vlan", 0, 4094));
        entry.vlan = static_cast<uint16_t>(v);
      }
      ZC_ASSIGN_OR_RETURN(entry.port, r.String(e["port"], p + ".port"));
      fdb.static_entries.push_back(std::move(entry));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseZcopy(const Reader& r, const YAML::Node& node, ZcopyConfig& z) {
  ZC_RETURN_IF_ERROR(r.ExpectMap(
      node, "zcopy", {"enabled", "copy_threshold", "max_inflight", "reap_us", "header_bytes"}));
  if (node["enabled"]) {
    ZC_ASSIGN_OR_RETURN(z.enabled, r.Bool(node["enabled"], "zcopy.enabled"));
  }
  struct Field {
    const char* key;
    uint32_t* value;
    uint64_t min, max;
  };
  for (const Field& f :
       {Field{"copy_threshold", &z.copy_threshold, 0, 65535},
        Field{"max_inflight", &z.max_inflight, 1, 32768}, Field{"reap_us", &z.reap_us, 1, 1000000},
        Field{"header_bytes", &z.header_bytes, 64, 512}}) {
    if (!node[f.key]) continue;
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node[f.key], Reader::Join("zcopy", f.key), f.min, f.max));
    *f.value = static_cast<uint32_t>(v);
  }
  return absl::OkStatus();
}

// Meaning: what no single key can tell.
absl::Status CheckReferences(const Reader& r, const YAML::Node& root, Config& config) {
  absl::flat_hash_map<std::string, size_t> first_index;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    auto [it, inserted] = first_index.emplace(config.ports[i].name, i);
    if (!inserted) {
      return r.Error(root["ports"][i]["name"], Reader::Index("ports", i) + ".name",
                     absl::StrFormat("duplicate port name \"%s\" (first at ports[%d])",
                                     config.ports[i].name, it->second));
    }
  }
  // Two ports on one device would poll the same queues from two lcores.
  absl::flat_hash_map<std::string, size_t> devices;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    if (port.type != PortType::kEthdev) continue;
    const std::string device = DeviceOf(port);
    auto [it, inserted] = devices.emplace(device, i);
    if (!inserted) {
      return r.Error(root["ports"][i]["devargs"], Reader::Index("ports", i) + ".devargs",
                     absl::StrFormat("device %s is already used by ports[%d]", device,
                                     it->second));
    }
  }
  absl::flat_hash_map<std::string, size_t> sockets;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    if (port.type != PortType::kVhostUser) continue;
    auto [it, inserted] = sockets.emplace(port.socket, i);
    if (!inserted) {
      return r.Error(
          root["ports"][i]["socket"], Reader::Index("ports", i) + ".socket",
          absl::StrFormat("socket %s is already used by ports[%d]", port.socket, it->second));
    }
  }
  absl::flat_hash_map<std::string, size_t> paired;
  for (size_t i = 0; i < config.forwarding.pairs.size(); ++i) {
    const auto& [a, b] = config.forwarding.pairs[i];
    const std::string p = Reader::Index("forwarding.pairs", i);
    const YAML::Node node = root["forwarding"]["pairs"][i];
    for (int side = 0; side < 2; ++side) {
      const std::string& name = side == 0 ? a : b;
      if (!first_index.contains(name)) {
        return r.Error(node[side], Reader::Index(p, side),
                       absl::StrFormat("no port named \"%s\"", name));
      }
      auto [it, inserted] = paired.emplace(name, i);
      if (!inserted) {
        return r.Error(
            node[side], Reader::Index(p, side),
            absl::StrFormat("port \"%s\" is already in forwarding.pairs[%d]", name, it->second));
      }
    }
    if (a == b) {
      return r.Error(node, p, "a port cannot be paired with itself");
    }
  }
  for (size_t i = 0; i < config.fdb.static_entries.size(); ++i) {
    const StaticFdbEntry& e = config.fdb.static_entries[i];
    if (!first_index.contains(e.port)) {
      return r.Error(root["fdb"]["static"][i]["port"], Reader::Index("fdb.static", i) + ".port",
                     absl::StrFormat("no port named \"%s\"", e.port));
    }
    const PortConfig& port = config.ports[first_index.at(e.port)];
    const bool carried = port.vlan ? e.vlan == *port.vlan
                         : !port.trunk.empty()
                             ? std::find(port.trunk.begin(), port.trunk.end(), e.vlan) !=
                                   port.trunk.end()
                             : e.vlan == 0;
    if (!carried) {
      return r.Error(root["fdb"]["static"][i], Reader::Index("fdb.static", i) + ".vlan",
                     absl::StrFormat("port \"%s\" does not carry VLAN %d", e.port, e.vlan));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseRoot(const Reader& r, const YAML::Node& root,
                                 absl::string_view source) {
  Config config;
  config.source = std::string(source);
  if (!root.IsDefined() || root.IsNull()) {
    return r.Error(root, "(top level)", "the file is empty");
  }
  ZC_RETURN_IF_ERROR(
      r.ExpectMap(root, "(top level)", {"eal", "forwarding", "fdb", "zcopy", "ports"}));
  if (root["eal"]) {
    const YAML::Node eal = root["eal"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(eal, "eal"));
    for (size_t i = 0; i < eal.size(); ++i) {
      std::string arg;
      ZC_ASSIGN_OR_RETURN(arg, r.String(eal[i], Reader::Index("eal", i)));
      config.eal.push_back(std::move(arg));
    }
  }
  if (root["forwarding"]) {
    ZC_RETURN_IF_ERROR(ParseForwarding(r, root["forwarding"], config.forwarding));
  }
  if (root["fdb"]) ZC_RETURN_IF_ERROR(ParseFdb(r, root["fdb"], config.fdb));
  if (root["zcopy"]) ZC_RETURN_IF_ERROR(ParseZcopy(r, root["zcopy"], config.zcopy));
  if (root["ports"] && !root["ports"].IsNull()) {
    const YAML::Node ports = root["ports"];
    ZC_RETURN_IF_ERROR(r.ExpectSeq(ports, "ports"));
    for (size_t i = 0; i < ports.size(); ++i) {
      PortConfig port;
      ZC_RETURN_IF_ERROR(ParsePort(r, ports[i], Reader::Index("ports", i), port));
      config.ports.push_back(std::move(port));
    }
  }
  ZC_RETURN_IF_ERROR(CheckReferences(r, root, config));
  return config;
}

}  // namespace

bool IsPortName(absl::string_view name) {
  // `all` is what commands take for every port.
  return !name.empty() && name.size() <= kMaxPortName && name != "all" &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-") == absl::string_view::npos;
}

std::string DeviceOf(const PortConfig& port) {
  return port.devargs.substr(0, port.devargs.find(','));
}

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source) {
  Reader reader(source);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    return ParseRoot(reader, root, source);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.msg));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace zcswitch
