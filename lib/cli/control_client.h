// The client end of the daemon's control socket (control_socket.h): sends a
// command's words as one JSON line and reads the one-line reply.
//
// A failure to talk to the daemon (no socket, nobody listening, connection
// lost, no reply in time) is an error Status naming the socket; a reply, ok
// or not, is a ControlReply. After a failure the next Run() connects afresh,
// so a prompt outlives a restarted daemon.
#ifndef ZCSWITCH_LIB_CLI_CONTROL_CLIENT_H_
#define ZCSWITCH_LIB_CLI_CONTROL_CLIENT_H_

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace zcswitch {

struct ControlReply {
  bool ok = false;
  nlohmann::json data;  // when ok
  std::string text;     // when ok: for people
  std::string error;    // when not ok: the daemon's message
};

class ControlClient {
 public:
  // A command that has no reply within `timeout` is a failure: the daemon
  // answers from its control thread in milliseconds or not at all.
  explicit ControlClient(std::string path,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Connects unless connected.
  absl::Status Connect();

  absl::StatusOr<ControlReply> Run(absl::Span<const std::string> words);

  const std::string& path() const { return path_; }

 private:
  void Disconnect();
  absl::StatusOr<std::string> ReadLine();

  std::string path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string pending_;  // bytes read past the last reply line
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CLI_CONTROL_CLIENT_H_
