// Reading one YAML document of zcswitchd's configuration: every error names
// the source, the line and column, the key path (`ports[1].name`) and the
// problem, as InvalidArgument. Shared by the configuration loader and the
// port types (lib/control/port_driver.h) that read their own keys.
#ifndef ZCSWITCH_LIB_CONTROL_CONFIG_READER_H_
#define ZCSWITCH_LIB_CONTROL_CONFIG_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "yaml-cpp/yaml.h"

namespace zcswitch {

// Type and range checks of single values; the caller checks what values
// mean together.
class ConfigReader {
 public:
  explicit ConfigReader(absl::string_view source) : source_(source) {}

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
                         absl::Span<const absl::string_view> allowed) const {
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

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_CONFIG_READER_H_
