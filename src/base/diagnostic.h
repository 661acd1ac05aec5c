// Compiler-style diagnostics for user files: collected while checking a file, then printed as
// `file:line:col: error: message`, the source line and a caret, or given out as JSON.
// DiagnosticList is not thread-safe; use one per file being checked.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep {

enum class Severity { kError, kWarning, kNote };

std::string_view SeverityName(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;

  // "file:line:col: error: message" on one line, without source or caret.
  std::string ToString() const;
};

// An ordered list of diagnostics for one file.
class DiagnosticList {
 public:
  explicit DiagnosticList(std::string file) : file_(std::move(file)) {}

  // Adds a diagnostic at `line`:`column` (1-based) of this list's file.
  void Add(Severity severity, int line, int column, std::string message);
  void AddError(int line, int column, std::string message) {
    Add(Severity::kError, line, column, std::move(message));
  }
  void AddWarning(int line, int column, std::string message) {
    Add(Severity::kWarning, line, column, std::move(message));
  }

  // Sorts by position, keeping the order of diagnostics at the same position.
  void SortByPosition();

  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& items() const { return items_; }
  int error_count() const { return errors_; }
  int warning_count() const { return warnings_; }

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
  int errors_ = 0;
  int warnings_ = 0;
};

struct RenderOptions {
  bool color = false;       // ANSI colours, for terminals
  bool show_source = true;  // the source line and a caret under the column
};

// Renders `diagnostic` the way compilers do; `source` is the whole text of its file (used to
// show the line; may be empty). Ends with a newline.
std::string RenderDiagnostic(const Diagnostic& diagnostic, std::string_view source,
                             const RenderOptions& options);

}  // namespace lockstep
