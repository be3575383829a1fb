#include "app/zcswitchd/eal_session.h"

#include <rte_eal.h>
#include <rte_errno.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zcswitch {

absl::StatusOr<std::unique_ptr<EalSession>> EalSession::Init(const std::vector<std::string>& args) {
  // rte_eal_init may permute argv and keep pointers into it: the strings live
  // in a static copy for the life of the process.
  static std::vector<std::string> storage;
  storage.clear();
  storage.push_back("zcswitchd");
  storage.insert(storage.end(), args.begin(), args.end());
  static std::vector<char*> argv;
  argv.clear();
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(storage.size()), argv.data()) < 0) {
    return absl::InternalError(absl::StrCat("EAL initialisation failed (", rte_strerror(rte_errno),
                                            ") with arguments: ", absl::StrJoin(args, " ")));
  }
  return std::unique_ptr<EalSession>(new EalSession());
}

EalSession::~EalSession() { rte_eal_cleanup(); }

}  // namespace zcswitch
