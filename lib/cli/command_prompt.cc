#include "lib/cli/command_prompt.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zcswitch {
namespace {

constexpr char kPrompt[] = "zcswitch> ";

bool IsQuit(const std::vector<std::string>& words) {
  return words.size() == 1 && (words[0] == "quit" || words[0] == "exit");
}

}  // namespace

void PrintReply(const ControlReply& reply, bool json, FILE* out, FILE* err) {
  if (!reply.ok && json) {
    // A script reading JSON gets JSON either way; the exit code tells which.
    std::fputs((nlohmann::json{{"error", reply.error}}.dump(2) + "\n").c_str(), out);
    std::fflush(out);
    return;
  }
  if (!reply.ok) {
    std::string error = reply.error;
    if (error.empty() || error.back() != '\n') error += '\n';
    std::fputs(error.c_str(), err);
    std::fflush(err);
    return;
  }
  std::fputs(json ? (reply.data.dump(2) + "\n").c_str() : reply.text.c_str(), out);
  std::fflush(out);
}

std::string DefaultHistoryFile() {
  const char* home = std::getenv("HOME");
  return home == nullptr || *home == '\0' ? "" : absl::StrCat(home, "/.zcswitch_history");
}

absl::StatusOr<CommandCompletion> CommandsOf(ControlClient& client) {
  const std::vector<std::string> help = {"help"};
  absl::StatusOr<ControlReply> reply = client.Run(help);
  if (!reply.ok()) return reply.status();
  if (!reply->ok) return absl::InternalError(absl::StrCat("help: ", reply->error));
  return CommandCompletion::FromHelp(reply->data);
}

absl::StatusOr<std::unique_ptr<CommandPrompt>> CommandPrompt::Open(ControlClient* client,
                                                                   CommandCompletion completion,
                                                                   Options options) {
  std::unique_ptr<CommandPrompt> self(
      new CommandPrompt(client, options.json, std::move(completion)));
  CommandPrompt* p = self.get();
  absl::StatusOr<std::unique_ptr<LineEditor>> editor = LineEditor::Open(
      {.program = options.program,
       .prompt = kPrompt,
       .history_file = options.history_file,
       .completer = [p](absl::Span<const std::string> words, std::string_view partial) {
         std::vector<std::string> next = p->completion_.Next(words, partial);
         // The prompt's own words, which the daemon does not know.
         for (const char* own : {"exit", "quit"}) {
           if (words.empty() && std::string_view(own).starts_with(partial)) next.push_back(own);
         }
         std::sort(next.begin(), next.end());
         return next;
       }});
  if (!editor.ok()) return editor.status();
  self->editor_ = *std::move(editor);
  return self;
}

CommandPrompt::End CommandPrompt::Run() {
  for (;;) {
    std::optional<std::string> line = editor_->ReadLine();
    if (!line) return interrupted_.load() ? End::kInterrupted : End::kQuit;
    std::vector<std::string> words =
        absl::StrSplit(*line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    // A word starting with '#' begins a comment, to the end of the line.
    words.erase(std::find_if(words.begin(), words.end(),
                             [](const std::string& w) { return w.starts_with('#'); }),
                words.end());
    if (words.empty()) continue;
    if (IsQuit(words)) return End::kQuit;
    absl::StatusOr<ControlReply> reply = client_->Run(words);
    if (!reply.ok()) {
      ++failures_;
      std::fprintf(stderr, "%s\n", std::string(reply.status().message()).c_str());
      continue;
    }
    if (!reply->ok) ++failures_;
    PrintReply(*reply, json_, stdout, stderr);
  }
}

void CommandPrompt::Interrupt() {
  interrupted_.store(true);
  editor_->Interrupt();
}

}  // namespace zcswitch
