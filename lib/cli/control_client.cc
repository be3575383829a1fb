#include "lib/cli/control_client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace zcswitch {

ControlClient::ControlClient(std::string path, std::chrono::milliseconds timeout)
    : path_(std::move(path)), timeout_(timeout) {}

ControlClient::~ControlClient() { Disconnect(); }

void ControlClient::Disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  pending_.clear();
}

absl::Status ControlClient::Connect() {
  if (fd_ >= 0) return absl::OkStatus();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("control socket path \"", path_, "\" is empty or too long"));
  }
  memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    const char* why = err == ENOENT || err == ECONNREFUSED ? " (is zcswitchd running?)" : "";
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", path_, ": ", strerror(err), why));
  }
  fd_ = fd;
  return absl::OkStatus();
}

absl::StatusOr<ControlReply> ControlClient::Run(absl::Span<const std::string> words) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  const std::string request =
      nlohmann::json{{"command", std::vector<std::string>(words.begin(), words.end())}}.dump() +
      "\n";
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      Disconnect();
      return absl::UnavailableError(absl::StrCat("sending to ", path_, ": ", strerror(err)));
    }
    sent += n;
  }
  absl::StatusOr<std::string> line = ReadLine();
  if (!line.ok()) {
    Disconnect();
    return line.status();
  }
  const nlohmann::json reply = nlohmann::json::parse(*line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok") ||
      !reply["ok"].is_boolean()) {
    Disconnect();
    return absl::DataLossError(absl::StrCat("malformed reply from ", path_, ": ", *line));
  }
  ControlReply out;
  out.ok = reply["ok"].get<bool>();
  if (out.ok) {
    out.data = reply.value("data", nlohmann::json());
    out.text = reply.value("text", "");
  } else {
    out.error = reply.value("error", "");
  }
  return out;
}

absl::StatusOr<std::string> ControlClient::ReadLine() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  size_t nl;
  while ((nl = pending_.find('\n')) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no reply from ", path_, " within ", timeout_.count(), " ms"));
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
    if (ready <= 0) continue;
    char buf[65536];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "the daemon closed ", path_, n < 0 ? absl::StrCat(": ", strerror(errno)) : ""));
    }
    pending_.append(buf, n);
  }
  std::string line = pending_.substr(0, nl);
  pending_.erase(0, nl + 1);
  return line;
}

}  // namespace zcswitch
