// The daemon's control socket: a Unix stream socket (mode 0600) on which each
// request is one line of JSON and each reply is one line of JSON.
//
//   request:  {"command": ["show", "port", "stats"]}
//   reply:    {"ok": true, "data": ..., "text": "..."}
//          or {"ok": false, "error": "..."}
//
// Malformed JSON, unknown commands and bad arguments get an error reply and
// the connection stays open; a line longer than kMaxLine gets an error reply
// and the connection is closed. Many clients are served at once, from the
// control thread's PollOnce(), without blocking it.
#ifndef ZCSWITCH_LIB_CONTROL_CONTROL_SOCKET_H_
#define ZCSWITCH_LIB_CONTROL_CONTROL_SOCKET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/control/command_table.h"
#include "lib/control/poll_loop.h"

namespace zcswitch {

class ControlSocket : public PollSource {
 public:
  static constexpr size_t kMaxLine = 1 << 20;
  static constexpr size_t kMaxClients = 256;
  static constexpr size_t kMaxPendingReply = 1 << 20;
  static constexpr size_t kMaxReadPerPoll = 256 << 10;

  // Creates the socket's directory if needed. A stale socket file (nobody
  // listening) is replaced; a live one is an error.
  static absl::StatusOr<std::unique_ptr<ControlSocket>> Listen(const std::string& path,
                                                               const CommandTable* commands);
  ~ControlSocket() override;
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  void AddFds(std::vector<pollfd>& fds) override;
  void Dispatch(absl::Span<const pollfd> fds) override;

  const std::string& path() const { return path_; }

 private:
  struct Client {
    int fd;
    std::string in;
    std::string out;
    bool closing = false;  // close once `out` is written
  };

  ControlSocket(std::string path, int fd, const CommandTable* commands)
      : path_(std::move(path)), listen_fd_(fd), commands_(commands) {}
  void Accept();
  void Read(Client& c);
  void Write(Client& c);
  std::string Handle(const std::string& line) const;

  std::string path_;
  int listen_fd_;
  const CommandTable* commands_;
  std::vector<Client> clients_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CONTROL_CONTROL_SOCKET_H_
