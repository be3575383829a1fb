#include "lib/base/unix_listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zcswitch {
namespace {

bool SomeoneListens(const sockaddr_un& addr) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

}  // namespace

absl::StatusOr<int> ListenUnix(const std::string& path, mode_t mode, absl::string_view what) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " path \"", path, "\" must be 1-",
                                                   sizeof(addr.sun_path) - 1, " characters"));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat(what, " ", path, ": cannot create ", dir.string(), ": ", ec.message()));
  }
  if (SomeoneListens(addr)) {
    return absl::AlreadyExistsError(
        absl::StrCat(what, " ", path, " is in use by another process (another zcswitchd?)"));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(absl::StrCat(what, " ", path, " exists and is not a socket"));
    }
    unlink(path.c_str());  // stale: nobody listens on it
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(what, " ", path, ": socket: ", std::strerror(errno)));
  }
  // Created with its final mode: no window in which others could connect.
  const mode_t old_mask = umask(~mode & 0777);
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  umask(old_mask);
  if (bound != 0 || listen(fd, 128) != 0) {
    const std::string err = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat(what, " ", path, ": ", bound != 0 ? "bind" : "listen", ": ", err));
  }
  return fd;
}

}  // namespace zcswitch
