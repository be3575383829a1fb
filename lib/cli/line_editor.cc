#include "lib/cli/line_editor.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <cwchar>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zcswitch {

constexpr int kHistorySize = 1000;

struct LineEditor::Libedit {
  EditLine* el = nullptr;
  History* history = nullptr;
  ~Libedit() {
    // el_end restores the terminal's modes.
    if (el != nullptr) el_end(el);
    if (history != nullptr) history_end(history);
  }
};

LineEditor::LineEditor(Options options, FILE* in, FILE* out)
    : options_(std::move(options)), in_(in), out_(out), el_(std::make_unique<Libedit>()) {}

absl::StatusOr<std::unique_ptr<LineEditor>> LineEditor::Open(Options options, FILE* in,
                                                              FILE* out) {
  std::unique_ptr<LineEditor> self(new LineEditor(std::move(options), in, out));
  if (pipe2(self->wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  Libedit& le = *self->el_;
  le.el = el_init(self->options_.program.c_str(), in, out, stderr);
  le.history = history_init();
  if (le.el == nullptr || le.history == nullptr) {
    return absl::InternalError("libedit: el_init or history_init failed");
  }
  HistEvent ev;
  history(le.history, &ev, H_SETSIZE, kHistorySize);
  history(le.history, &ev, H_SETUNIQUE, 1);
  if (!self->options_.history_file.empty()) {
    history(le.history, &ev, H_LOAD, self->options_.history_file.c_str());
  }
  el_set(le.el, EL_CLIENTDATA, self.get());
  el_set(le.el, EL_EDITOR, "emacs");
  el_set(le.el, EL_HIST, history, le.history);
  el_set(le.el, EL_PROMPT, &LineEditor::Prompt);
  el_set(le.el, EL_GETCFN, &LineEditor::ReadChar);
  // Functions are added through the wide API with static strings: the narrow
  // el_set(EL_ADDFN) copies its name and help with wcsdup and never frees
  // them (LeakSanitizer catches it at exit).
  el_wset(le.el, EL_ADDFN, L"zc-complete", L"complete the command word", &LineEditor::CompleteWord);
  el_set(le.el, EL_BIND, "^I", "zc-complete", nullptr);
  // Ctrl-C is a key while editing, not SIGINT: a slip of the finger at
  // zcswitchd's prompt must not stop the switch, nor leave zcswitch-cli's
  // terminal in editing mode.
  el_set(le.el, EL_SETTY, "-d", "-isig", nullptr);
  el_wset(le.el, EL_ADDFN, L"zc-abandon", L"abandon the line", &LineEditor::AbandonLine);
  el_set(le.el, EL_BIND, "^C", "zc-abandon", nullptr);
  // The user's ~/.editrc may rebind keys, as in every other libedit program.
  el_source(le.el, nullptr);
  return self;
}

LineEditor::~LineEditor() {
  el_.reset();
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

std::optional<std::string> LineEditor::ReadLine() {
  int count = 0;
  const char* line = el_gets(el_->el, &count);
  if (line == nullptr || count <= 0) return std::nullopt;
  std::string out(line, count);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!absl::StripAsciiWhitespace(out).empty()) {
    HistEvent ev;
    history(el_->history, &ev, H_ENTER, out.c_str());
    // After every line rather than at exit, so that a daemon that is killed
    // keeps what was typed at its prompt.
    if (!options_.history_file.empty()) {
      history(el_->history, &ev, H_SAVE, options_.history_file.c_str());
    }
  }
  return out;
}

void LineEditor::Interrupt() {
  const char byte = 0;
  (void)!write(wake_fds_[1], &byte, 1);
}

char* LineEditor::Prompt(EditLine* el) {
  LineEditor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return self->options_.prompt.data();
}

// libedit's own reader blocks in read(); this one also wakes for
// Interrupt(), which reads as the end of input.
int LineEditor::ReadChar(EditLine* el, wchar_t* wc) {
  LineEditor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  const int in_fd = fileno(self->in_);
  std::mbstate_t state{};
  for (;;) {
    pollfd fds[2] = {{in_fd, POLLIN, 0}, {self->wake_fds_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[1].revents != 0) return 0;
    char c;
    const ssize_t n = read(in_fd, &c, 1);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    const size_t r = std::mbrtowc(wc, &c, 1, &state);
    if (r == static_cast<size_t>(-2)) continue;  // the middle of a multibyte character
    if (r == static_cast<size_t>(-1)) *wc = static_cast<unsigned char>(c);
    return 1;
  }
}

unsigned char LineEditor::AbandonLine(EditLine* el, int /*ch*/) {
  LineEditor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  const LineInfo* li = el_line(el);
  el_cursor(el, static_cast<int>(li->lastchar - li->cursor));
  el_deletestr(el, static_cast<int>(li->lastchar - li->buffer));
  std::fputs("^C\n", self->out_);
  return CC_REDISPLAY;
}

// Whole words before the cursor select the commands; the word under the
// cursor is completed as far as every candidate agrees, and when they
// differ there already, the candidates are listed.
unsigned char LineEditor::CompleteWord(EditLine* el, int /*ch*/) {
  LineEditor* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  if (!self->options_.completer) return CC_ERROR;
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, li->cursor);
  const size_t space = before.find_last_of(" \t");
  const std::string partial = space == std::string::npos ? before : before.substr(space + 1);
  const std::vector<std::string> words = absl::StrSplit(
      before.substr(0, space == std::string::npos ? 0 : space), absl::ByAnyChar(" \t"),
      absl::SkipEmpty());
  const std::vector<std::string> candidates = self->options_.completer(words, partial);
  if (candidates.empty()) return CC_ERROR;
  if (candidates.size() == 1) {
    const std::string rest = candidates[0].substr(partial.size()) + " ";
    return el_insertstr(el, rest.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  size_t common = candidates[0].size();
  for (const std::string& c : candidates) {
    common = std::min<size_t>(
        common, std::mismatch(c.begin(), c.begin() + std::min(c.size(), common),
                              candidates[0].begin())
                        .first -
                    c.begin());
  }
  if (common > partial.size()) {
    const std::string rest = candidates[0].substr(partial.size(), common - partial.size());
    return el_insertstr(el, rest.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  std::fprintf(self->out_, "\n%s\n", absl::StrJoin(candidates, "  ").c_str());
  return CC_REDISPLAY;
}

}  // namespace zcswitch
