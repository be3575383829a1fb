// The command prompt of zcswitch-cli and `zcswitchd -i`: lines typed at
// `zcswitch> ` go to the daemon's control socket as command words, and the
// replies are printed as for a one-shot `zcswitch-cli COMMAND`. Completion
// and help come from the daemon's `help` reply, so the prompt knows every
// command the daemon has without a list of its own.
//
// `quit`, `exit` and the end of input leave the prompt; a failing command
// prints its error and the prompt goes on.
#ifndef ZCSWITCH_LIB_CLI_COMMAND_PROMPT_H_
#define ZCSWITCH_LIB_CLI_COMMAND_PROMPT_H_

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/cli/command_completion.h"
#include "lib/cli/control_client.h"
#include "lib/cli/line_editor.h"

namespace zcswitch {

// A reply as people (aligned text, on `out`) or scripts (`data` as JSON, on
// `out`) read it. A daemon's error goes to `err` as text, or to `out` as
// {"error": TEXT} for scripts.
void PrintReply(const ControlReply& reply, bool json, FILE* out, FILE* err);

// The daemon's commands, from its `help` reply: Unavailable (naming the
// socket) when it cannot be reached.
absl::StatusOr<CommandCompletion> CommandsOf(ControlClient& client);

// $HOME/.zcswitch_history, or empty (no saved history) without HOME.
std::string DefaultHistoryFile();

class CommandPrompt {
 public:
  struct Options {
    std::string program;       // LineEditor::Options::program
    bool json = false;         // print replies as JSON
    std::string history_file;  // empty: none kept
  };

  // `client` must outlive the prompt; `completion` holds the daemon's
  // commands (CommandsOf() asks it for them).
  static absl::StatusOr<std::unique_ptr<CommandPrompt>> Open(ControlClient* client,
                                                             CommandCompletion completion,
                                                             Options options);

  enum class End { kQuit, kInterrupted };
  // Until quit, exit or the end of input (kQuit) or Interrupt().
  End Run();

  // Thread-safe: ends a Run() in another thread.
  void Interrupt();

  // Commands the daemon refused or did not answer, so far.
  size_t failures() const { return failures_; }

 private:
  CommandPrompt(ControlClient* client, bool json, CommandCompletion completion)
      : client_(client), json_(json), completion_(std::move(completion)) {}

  ControlClient* client_;
  bool json_;
  CommandCompletion completion_;
  std::unique_ptr<LineEditor> editor_;
  std::atomic<bool> interrupted_{false};
  size_t failures_ = 0;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CLI_COMMAND_PROMPT_H_
