#include "base/diagnostic.h"

#include <fmt/core.h>

#include <algorithm>

namespace lockstep {

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

std::string Diagnostic::ToString() const {
  return fmt::format("{}: {}: {}", location.ToString(), SeverityName(severity), message);
}

void DiagnosticList::Add(Severity severity, int line, int column, std::string message) {
  if (severity == Severity::kError) ++errors_;
  if (severity == Severity::kWarning) ++warnings_;
  items_.push_back({severity, {file_, line, column}, std::move(message)});
}

void DiagnosticList::SortByPosition() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
}

namespace {

// Line `line` (1-based) of `source`, without its newline; empty when out of range.
std::string_view SourceLine(std::string_view source, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    size_t newline = source.find('\n', start);
    if (newline == std::string_view::npos) return {};
    start = newline + 1;
  }
  size_t end = source.find('\n', start);
  std::string_view text = source.substr(start, end == std::string_view::npos ? end : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kMagenta = "\x1b[1;35m";
constexpr std::string_view kCyan = "\x1b[1;36m";
constexpr std::string_view kGreen = "\x1b[1;32m";
constexpr std::string_view kReset = "\x1b[0m";

}  // namespace

std::string RenderDiagnostic(const Diagnostic& diagnostic, std::string_view source,
                             const RenderOptions& options) {
  auto paint = [&](std::string_view colour, std::string_view text) {
    return options.color ? fmt::format("{}{}{}", colour, text, kReset) : std::string(text);
  };
  std::string_view colour = diagnostic.severity == Severity::kError     ? kRed
                            : diagnostic.severity == Severity::kWarning ? kMagenta
                                                                        : kCyan;
  std::string out =
      fmt::format("{} {} {}\n", paint(kBold, diagnostic.location.ToString() + ":"),
                  paint(colour, fmt::format("{}:", SeverityName(diagnostic.severity))),
                  paint(kBold, diagnostic.message));
  if (!options.show_source || diagnostic.location.line <= 0) return out;
  std::string_view line = SourceLine(source, diagnostic.location.line);
  if (line.empty()) return out;
  out += fmt::format("{}\n", line);
  // Keep tabs so the caret lines up with the text above it.
  std::string padding;
  int column = std::max(1, diagnostic.location.column);
  for (int i = 0; i + 1 < column && i < static_cast<int>(line.size()); ++i) {
    padding += line[static_cast<size_t>(i)] == '\t' ? '\t' : ' ';
  }
  out += fmt::format("{}{}\n", padding, paint(kGreen, "^"));
  return out;
}

}  // namespace lockstep
