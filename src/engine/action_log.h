// An action attempt's log file: one line per output line, "TIME STREAM TEXT", where TIME is
// UTC with milliseconds and STREAM is "out", "err" or "---" (lines lockstep adds: step
// boundaries and notes). Text is already masked by exec/. Thread-compatible.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "exec/process.h"

namespace lockstep::engine {

class ActionLog : public exec::OutputSink {
 public:
  // Creates (truncating) the log at `path`; step titles name the step markers it meets.
  static Result<std::unique_ptr<ActionLog>> Create(const std::filesystem::path& path,
                                                   std::vector<std::string> step_titles);
  // Use Create; the key keeps construction to it.
  class Key {
    friend class ActionLog;
    Key() = default;
  };
  ActionLog(Key, std::FILE* file, std::filesystem::path path, std::vector<std::string> titles)
      : file_(file), path_(std::move(path)), step_titles_(std::move(titles)) {}
  ~ActionLog() override;
  ActionLog(const ActionLog&) = delete;
  ActionLog& operator=(const ActionLog&) = delete;

  void OnLine(const exec::OutputLine& line) override;
  // Adds a line of lockstep's own.
  void Note(std::string_view text);

  // Writes what is buffered to the file, so that `lockstep logs --follow` sees it.
  void Flush();

  // Flushes and closes; the first write error since Create, if any ("cannot write log
  // PATH: No space left on device").
  Result<void> Close();

  // The number of the last step the program announced (0 before the first).
  int last_step() const { return last_step_; }

  // The last lines written, for a failure summary.
  const std::vector<std::string>& tail() const { return tail_; }

 private:
  void Write(exec::Clock::time_point time, std::string_view stream, std::string_view text);

  std::FILE* file_;  // owned; closed by Close or the destructor
  std::filesystem::path path_;
  std::vector<std::string> step_titles_;
  int write_errno_ = 0;
  int last_step_ = 0;
  std::vector<std::string> tail_;
};

struct LogLine {
  std::string time;    // as written: 2026-12-04T17:00:00.123Z
  std::string stream;  // out, err, ---
  std::string text;
};

// Parses one log line; lines that do not parse come back as text of stream "out".
LogLine ParseLogLine(std::string_view line);

// "2026-12-04T17:00:00.123Z".
std::string FormatUtcMillis(exec::Clock::time_point time);

}  // namespace lockstep::engine
