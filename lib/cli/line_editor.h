// Reading command lines from a person at a terminal, on libedit: emacs key
// bindings, a history that up-arrow recalls and that is kept in a file
// across sessions (best effort: a file that cannot be read or written just
// means no saved history), and TAB completion of the word before the cursor
// from a Completer. Ctrl-C abandons the line being typed, as in a shell,
// rather than interrupting the program. Lines that are not typed at a terminal (a pipe) are read
// plainly, without prompt or echo.
//
// ReadLine() may block in one thread while Interrupt() is called from
// another: that is how zcswitchd ends its prompt when it stops for a signal.
#ifndef ZCSWITCH_LIB_CLI_LINE_EDITOR_H_
#define ZCSWITCH_LIB_CLI_LINE_EDITOR_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

struct editline;  // libedit's EditLine, kept out of this header

namespace zcswitch {

class LineEditor {
 public:
  // The candidates for the word being typed, given the whole words before it
  // and the part of it typed so far.
  using Completer = std::function<std::vector<std::string>(absl::Span<const std::string> words,
                                                           std::string_view partial)>;
  struct Options {
    std::string program;       // for ~/.editrc's per-program settings
    std::string prompt;
    std::string history_file;  // empty: history only for this session
    Completer completer;       // unset: TAB inserts nothing
  };

  static absl::StatusOr<std::unique_ptr<LineEditor>> Open(Options options, FILE* in = stdin,
                                                          FILE* out = stdout);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next line, without its newline; a line that is not blank joins the
  // history. nullopt at the end of input or once Interrupt() was called.
  std::optional<std::string> ReadLine();

  // Thread-safe, and safe to call more than once.
  void Interrupt();

 private:
  struct Libedit;
  LineEditor(Options options, FILE* in, FILE* out);
  static unsigned char CompleteWord(::editline* el, int ch);
  static unsigned char AbandonLine(::editline* el, int ch);
  static int ReadChar(::editline* el, wchar_t* wc);
  static char* Prompt(::editline* el);

  Options options_;
  FILE* in_;
  FILE* out_;
  int wake_fds_[2] = {-1, -1};  // Interrupt() writes to [1]; ReadChar() polls [0]
  std::unique_ptr<Libedit> el_;
};

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_CLI_LINE_EDITOR_H_
