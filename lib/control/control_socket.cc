#include "lib/control/control_socket.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/base/unix_listener.h"

namespace zcswitch {
namespace {

std::string ErrorReply(absl::string_view message) {
  return nlohmann::json{{"ok", false}, {"error", message}}.dump() + "\n";
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlSocket>> ControlSocket::Listen(const std::string& path,
                                                                     const CommandTable* commands) {
  absl::StatusOr<int> fd = ListenUnix(path, 0600, "control socket");
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<ControlSocket>(new ControlSocket(path, *fd, commands));
}

ControlSocket::~ControlSocket() {
  for (Client& c : clients_) close(c.fd);
  close(listen_fd_);
  unlink(path_.c_str());
}

void ControlSocket::AddFds(std::vector<pollfd>& fds) {
  fds.push_back({listen_fd_, POLLIN, 0});
  for (const Client& c : clients_) {
    // A client that does not read its replies is not read from either, so
    // its requests wait in its socket rather than in our memory.
    short events = c.out.empty() ? 0 : POLLOUT;
    if (!c.closing && c.out.size() < kMaxPendingReply) events |= POLLIN;
    fds.push_back({c.fd, events, 0});
  }
}

void ControlSocket::Dispatch(absl::Span<const pollfd> fds) {
  // Clients first: Accept() may grow clients_.
  for (size_t i = 0; i < clients_.size() && i + 1 < fds.size(); ++i) {
    const short ev = fds[i + 1].revents;
    if (ev & (POLLIN | POLLHUP | POLLERR)) Read(clients_[i]);
    if (!clients_[i].out.empty()) Write(clients_[i]);
  }
  std::erase_if(clients_, [](const Client& c) {
    if (c.fd >= 0 && !(c.closing && c.out.empty())) return false;
    if (c.fd >= 0) close(c.fd);
    return true;
  });
  if (fds[0].revents & POLLIN) Accept();
}

void ControlSocket::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxClients) {
      const std::string reply = ErrorReply("too many control clients");
      (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      close(fd);
      continue;
    }
    clients_.push_back({fd, {}, {}});
  }
}

void ControlSocket::Read(Client& c) {
  char buf[16384];
  // Bounded per call, so one chatty client cannot hold the control thread.
  for (size_t taken = 0; taken < kMaxReadPerPoll; taken += sizeof(buf)) {
    const ssize_t n = read(c.fd, buf, sizeof(buf));
    if (n == 0) {
      // The client is done sending; it still gets the replies it asked for,
      // including one for a last request without its newline.
      if (!c.closing && !c.in.empty()) c.out += Handle(c.in);
      c.in.clear();
      c.closing = true;
      return;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      close(c.fd);
      c.fd = -1;
      return;
    }
    if (n < 0) break;
    if (c.closing) continue;  // discard what follows an over-long line
    c.in.append(buf, n);
    size_t nl;
    while ((nl = c.in.find('\n')) != std::string::npos && nl <= kMaxLine) {
      c.out += Handle(c.in.substr(0, nl));
      c.in.erase(0, nl + 1);
    }
    // A line too long, whether its newline has come or not.
    if (c.in.size() > kMaxLine) {
      c.out += ErrorReply(absl::StrCat("request longer than ", kMaxLine, " bytes"));
      c.in.clear();
      c.closing = true;
    }
  }
}

void ControlSocket::Write(Client& c) {
  if (c.fd < 0) return;
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      close(c.fd);
      c.fd = -1;
      return;
    }
    c.out.erase(0, n);
  }
}

std::string ControlSocket::Handle(const std::string& line) const {
  const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
  if (request.is_discarded()) return ErrorReply("request is not valid JSON");
  if (!request.is_object() || !request.contains("command") || !request["command"].is_array()) {
    return ErrorReply("request must be {\"command\": [\"word\", ...]}");
  }
  std::vector<std::string> argv;
  for (const nlohmann::json& word : request["command"]) {
    if (!word.is_string()) return ErrorReply("command words must be strings");
    argv.push_back(word.get<std::string>());
  }
  absl::StatusOr<CommandReply> reply = commands_->Run(argv);
  if (!reply.ok()) return ErrorReply(reply.status().message());
  return nlohmann::json{{"ok", true}, {"data", reply->data}, {"text", reply->text}}.dump() + "\n";
}

}  // namespace zcswitch
