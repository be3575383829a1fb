// zcswitch-cli: the command line of a running zcswitchd, over its control
// socket.
//
//   zcswitch-cli [--socket=PATH] [--json] COMMAND...   runs one command
//   zcswitch-cli [--socket=PATH] [--json]              a prompt: line editing,
//                                                       history, TAB completion
//
// The daemon parses the commands (`help` lists them); this program only
// carries words there and replies back. Exit codes: 0 ok, 1 the daemon
// refused the command (its error, with the command list for an unknown
// one, on stderr; with --json, {"error": ...} on stdout), 2 a usage error of
// zcswitch-cli or no daemon to talk to.
#include <gflags/gflags.h>

#include <unistd.h>

#include <cctype>
#include <clocale>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "lib/cli/command_prompt.h"
#include "lib/cli/control_client.h"

DEFINE_string(socket, "/run/zcswitch/zcswitch.sock",
              "the daemon's control socket (zcswitchd --control_socket)");
DEFINE_bool(json, false, "print replies as JSON, for scripts");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCommandFailed = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    "usage: zcswitch-cli [--socket=PATH] [--json] [COMMAND...]\n"
    "  runs COMMAND on a running zcswitchd, or gives a prompt without one;\n"
    "  `zcswitch-cli help` lists the commands";

// Whether `arg` is one of this program's flags (gflags' own included), and
// whether it takes the next argument as its value (`--socket PATH`).
bool IsFlag(const std::string& arg, bool* takes_next) {
  *takes_next = false;
  if (arg.size() < 2 || arg[0] != '-') return false;
  std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
  const size_t eq = name.find('=');
  name = name.substr(0, eq);
  gflags::CommandLineFlagInfo info;
  if (gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
    *takes_next = eq == std::string::npos && info.type != "bool";
    return true;
  }
  return name.starts_with("no") && gflags::GetCommandLineFlagInfo(name.c_str() + 2, &info) &&
         info.type == "bool";
}

// A negative number (`vlan -1`): a command's word, for the daemon to judge.
bool IsNegativeNumber(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-' && std::isdigit(static_cast<unsigned char>(arg[1]));
}

// The command line split into this program's flags (left in `argv` for
// gflags) and the command's words. Flags may come before or after the
// command; "--" ends them. Any other word starting with '-' is a usage error
// here, checked before gflags sees it: gflags would exit with 1, which here
// means "the daemon refused the command".
absl::StatusOr<std::vector<std::string>> SplitCommandLine(int* argc, char** argv) {
  std::vector<std::string> words;
  if (*argc < 1) return words;
  int flags = 1;
  bool flags_end = false;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    bool takes_next = false;
    if (!flags_end && arg == "--") {
      flags_end = true;
    } else if (!flags_end && IsFlag(arg, &takes_next)) {
      if (takes_next && i + 1 == *argc) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
      }
      argv[flags++] = argv[i];
      if (takes_next) argv[flags++] = argv[++i];
    } else if (!flags_end && arg.size() > 1 && arg[0] == '-' && !IsNegativeNumber(arg)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    } else {
      // `zcswitch-cli "show port stats"` is the same command as without
      // quotes.
      for (absl::string_view w : absl::StrSplit(arg, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
        words.emplace_back(w);
      }
    }
  }
  *argc = flags;
  argv[flags] = nullptr;
  return words;
}

int Interactive(zcswitch::ControlClient& client) {
  absl::StatusOr<zcswitch::CommandCompletion> commands = zcswitch::CommandsOf(client);
  if (!commands.ok()) {
    std::fprintf(stderr, "zcswitch-cli: %s\n", std::string(commands.status().message()).c_str());
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<zcswitch::CommandPrompt>> prompt = zcswitch::CommandPrompt::Open(
      &client, *std::move(commands),
      {.program = "zcswitch-cli",
       .json = FLAGS_json,
       .history_file = zcswitch::DefaultHistoryFile()});
  if (!prompt.ok()) {
    std::fprintf(stderr, "zcswitch-cli: %s\n", std::string(prompt.status().message()).c_str());
    return kExitUsage;
  }
  (*prompt)->Run();
  // A script (commands from a pipe or a file) fails if any command did; a
  // person at the prompt has seen each error already.
  return !isatty(STDIN_FILENO) && (*prompt)->failures() != 0 ? kExitCommandFailed : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Multibyte characters typed at the prompt are decoded by the locale's
  // rules.
  std::setlocale(LC_CTYPE, "");
  gflags::SetUsageMessage(kUsage);
  gflags::SetVersionString("0.1");
  absl::StatusOr<std::vector<std::string>> words = SplitCommandLine(&argc, argv);
  if (!words.ok()) {
    std::fprintf(stderr, "zcswitch-cli: %s\n%s\n", std::string(words.status().message()).c_str(),
                 kUsage);
    return kExitUsage;
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);

  zcswitch::ControlClient client(FLAGS_socket);
  if (words->empty()) return Interactive(client);
  absl::StatusOr<zcswitch::ControlReply> reply = client.Run(*words);
  if (!reply.ok()) {
    std::fprintf(stderr, "zcswitch-cli: %s\n", std::string(reply.status().message()).c_str());
    return kExitUsage;
  }
  zcswitch::PrintReply(*reply, FLAGS_json, stdout, stderr);
  return reply->ok ? kExitOk : kExitCommandFailed;
}
