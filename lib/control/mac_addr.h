// An Ethernet MAC address as a value: parsed from and printed as
// "52:54:00:00:00:01".
#ifndef ZCSWITCH_LIB_CONTROL_MAC_ADDR_H_
#define ZCSWITCH_LIB_CONTROL_MAC_ADDR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace zcswitch {

struct MacAddr {
  std::array<uint8_t, 6> bytes{};

  // Six two-digit hex groups separated by ':'; nullopt for anything else.
  static std::optional<MacAddr> Parse(absl::string_view text);
  std::string ToString() const;
  bool IsMulticast() const { return (bytes[0] & 0x01) != 0; }
  bool IsZero() const { return bytes == std::array<uint8_t, 6>{}; }
  friend bool operator==(const MacAddr&, const MacAddr&) = default;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_MAC_ADDR_H_
