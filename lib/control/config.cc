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
#include "lib/control/config_reader.h"
#include "lib/control/port_driver.h"
#include "lib/switch/fwd_mode.h"
#include "yaml-cpp/yaml.h"

namespace zcswitch {
namespace {

constexpr unsigned kMaxLcore = 127;  // DPDK's default RTE_MAX_LCORE - 1


absl::Status ParseVlanId(const ConfigReader& r, const YAML::Node& node, absl::string_view path,
                         uint16_t& out) {
  uint64_t v;
  ZC_ASSIGN_OR_RETURN(v, r.Uint(node, path, 1, 4094));
  out = static_cast<uint16_t>(v);
  return absl::OkStatus();
}

// The keys every port takes, whatever its type.
constexpr absl::string_view kCommonPortKeys[] = {"name", "type", "queues", "vlan", "trunk"};

absl::Status ParsePort(const ConfigReader& r, PortDriverTable drivers, const YAML::Node& node,
                       const std::string& path, PortConfig& port) {
  if (!node.IsMap()) return r.Error(node, path, "expected a mapping");
  if (!node["name"]) return r.Error(node, path, "missing key 'name'");
  if (!node["type"]) return r.Error(node, path, "missing key 'type'");
  ZC_ASSIGN_OR_RETURN(port.name, r.String(node["name"], path + ".name"));
  if (!IsPortName(port.name)) {
    return r.Error(node["name"], path + ".name",
                   absl::StrFormat("\"%s\" is not a port name (1-%d letters, digits, "
                                   "'_' or '-'; not \"all\")",
                                   port.name, kMaxPortName));
  }
  ZC_ASSIGN_OR_RETURN(port.type, r.String(node["type"], path + ".type"));
  const PortDriver* driver = FindPortDriver(drivers, port.type);
  if (driver == nullptr) {
    return r.Error(node["type"], path + ".type",
                   absl::StrFormat("unknown port type \"%s\" (expected %s)", port.type,
                                   absl::StrJoin(drivers, " or ",
                                                 [](std::string* out, const PortDriver* d) {
                                                   absl::StrAppend(out, d->name);
                                                 })));
  }
  // A key another type takes is named as such; any other is unknown.
  std::vector<absl::string_view> allowed(std::begin(kCommonPortKeys), std::end(kCommonPortKeys));
  allowed.insert(allowed.end(), driver->keys.begin(), driver->keys.end());
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    for (const PortDriver* other : drivers) {
      if (std::find(other->keys.begin(), other->keys.end(), key) != other->keys.end()) {
        return r.Error(kv.first, ConfigReader::Join(path, key),
                       absl::StrFormat("only %s ports take this key", other->name));
      }
    }
  }
  ZC_RETURN_IF_ERROR(r.ExpectMap(node, path, allowed));
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
      const std::string p = ConfigReader::Index(path + ".trunk", i);
      ZC_RETURN_IF_ERROR(ParseVlanId(r, trunk[i], p, v));
      if (!seen.insert(v).second) {
        return r.Error(trunk[i], p, absl::StrFormat("VLAN %d listed twice", v));
      }
      port.trunk.push_back(v);
    }
  }
  if (!node[std::string(driver->attach_key)]) {
    return r.Error(node, path, absl::StrFormat("missing key '%s'", driver->attach_key));
  }
  return driver->parse_config(r, node, path, port);
}

absl::Status ParseForwarding(const ConfigReader& r, const YAML::Node& node, ForwardingConfig& fwd) {
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
      const std::string p = ConfigReader::Index("forwarding.lcores", i);
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
      const std::string p = ConfigReader::Index("forwarding.pairs", i);
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

absl::Status ParseFdb(const ConfigReader& r, const YAML::Node& node, FdbConfig& fdb) {
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
      const std::string p = ConfigReader::Index("fdb.static", i);
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

absl::Status ParseZcopy(const ConfigReader& r, const YAML::Node& node, ZcopyConfig& z) {
  ZC_RETURN_IF_ERROR(r.ExpectMap(
      node, "zcopy", {"enabled", "copy_threshold", "max_inflight", "reap_us", "header_bytes"}));
  if (node["enabled"]) {
    ZC_ASSIGN_OR_RETURN(z.enabled, r.Bool(node["enabled"], "zcopy.enabled"));
  }
  // The ranges `set zcopy` takes too.
  for (const ZcopyKnob& k : kZcopyKnobs) {
    const std::string key(k.name);
    if (!node[key]) continue;
    uint64_t v;
    ZC_ASSIGN_OR_RETURN(v, r.Uint(node[key], ConfigReader::Join("zcopy", key), k.min, k.max));
    z.*k.field = static_cast<uint32_t>(v);
  }
  return absl::OkStatus();
}

// Meaning: what no single key can tell.
absl::Status CheckReferences(const ConfigReader& r, PortDriverTable drivers,
                             const YAML::Node& root, Config& config) {
  absl::flat_hash_map<std::string, size_t> first_index;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    auto [it, inserted] = first_index.emplace(config.ports[i].name, i);
    if (!inserted) {
      return r.Error(root["ports"][i]["name"], ConfigReader::Index("ports", i) + ".name",
                     absl::StrFormat("duplicate port name \"%s\" (first at ports[%d])",
                                     config.ports[i].name, it->second));
    }
  }
  // Two ports on one device would poll the same queues from two lcores;
  // two on one socket would fight over the front-end.
  absl::flat_hash_map<std::string, size_t> attached;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortDriver& driver = *FindPortDriver(drivers, config.ports[i].type);
    const std::string attachment = driver.attachment(config.ports[i]);
    auto [it, inserted] = attached.emplace(attachment, i);
    if (!inserted) {
      const std::string key(driver.attach_key);
      return r.Error(root["ports"][i][key], ConfigReader::Index("ports", i) + "." + key,
                     absl::StrFormat("%s is already used by ports[%d]", attachment, it->second));
    }
  }
  absl::flat_hash_map<std::string, size_t> paired;
  for (size_t i = 0; i < config.forwarding.pairs.size(); ++i) {
    const auto& [a, b] = config.forwarding.pairs[i];
    const std::string p = ConfigReader::Index("forwarding.pairs", i);
    const YAML::Node node = root["forwarding"]["pairs"][i];
    for (int side = 0; side < 2; ++side) {
      const std::string& name = side == 0 ? a : b;
      if (!first_index.contains(name)) {
        return r.Error(node[side], ConfigReader::Index(p, side),
                       absl::StrFormat("no port named \"%s\"", name));
      }
      auto [it, inserted] = paired.emplace(name, i);
      if (!inserted) {
        return r.Error(
            node[side], ConfigReader::Index(p, side),
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
      return r.Error(root["fdb"]["static"][i]["port"], ConfigReader::Index("fdb.static", i) + ".port",
                     absl::StrFormat("no port named \"%s\"", e.port));
    }
    const PortConfig& port = config.ports[first_index.at(e.port)];
    const bool carried = port.vlan ? e.vlan == *port.vlan
                         : !port.trunk.empty()
                             ? std::find(port.trunk.begin(), port.trunk.end(), e.vlan) !=
                                   port.trunk.end()
                             : e.vlan == 0;
    if (!carried) {
      return r.Error(root["fdb"]["static"][i], ConfigReader::Index("fdb.static", i) + ".vlan",
                     absl::StrFormat("port \"%s\" does not carry VLAN %d", e.port, e.vlan));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseRoot(const ConfigReader& r, PortDriverTable drivers,
                                 const YAML::Node& root,
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
      ZC_ASSIGN_OR_RETURN(arg, r.String(eal[i], ConfigReader::Index("eal", i)));
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
      ZC_RETURN_IF_ERROR(ParsePort(r, drivers, ports[i], ConfigReader::Index("ports", i), port));
      config.ports.push_back(std::move(port));
    }
  }
  ZC_RETURN_IF_ERROR(CheckReferences(r, drivers, root, config));
  return config;
}

}  // namespace

bool IsPortName(absl::string_view name) {
  // `all` is what commands take for every port.
  return !name.empty() && name.size() <= kMaxPortName && name != "all" &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-") == absl::string_view::npos;
}

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view source,
                                   PortDriverTable drivers) {
  ConfigReader reader(source);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    return ParseRoot(reader, drivers, root, source);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.msg));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, PortDriverTable drivers) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path, drivers);
}

}  // namespace zcswitch
