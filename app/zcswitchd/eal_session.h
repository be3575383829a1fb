// DPDK's EAL for the life of an object: initialised from an argument list,
// cleaned up (rte_eal_cleanup) on destruction.
#ifndef ZCSWITCH_APP_ZCSWITCHD_EAL_SESSION_H_
#define ZCSWITCH_APP_ZCSWITCHD_EAL_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace zcswitch {

class EalSession {
 public:
  // `args` are EAL arguments without a program name.
  static absl::StatusOr<std::unique_ptr<EalSession>> Init(const std::vector<std::string>& args);
  ~EalSession();
  EalSession(const EalSession&) = delete;
  EalSession& operator=(const EalSession&) = delete;

 private:
  EalSession() = default;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_APP_ZCSWITCHD_EAL_SESSION_H_
