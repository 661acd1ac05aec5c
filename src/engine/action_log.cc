#include "engine/action_log.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "engine/step_script.h"

namespace lockstep::engine {
namespace {

constexpr size_t kTailLines = 20;

}  // namespace

std::string FormatUtcMillis(exec::Clock::time_point time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     millis % 1000);
}

Result<std::unique_ptr<ActionLog>> ActionLog::Create(const std::filesystem::path& path,
                                                     std::vector<std::string> step_titles) {
  std::FILE* file = std::fopen(path.c_str(), "we");
  if (file == nullptr)
    return std::unexpected(ErrnoError(errno, "cannot create log " + path.string()));
  return std::make_unique<ActionLog>(Key(), file, path, std::move(step_titles));
}

ActionLog::~ActionLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void ActionLog::Write(exec::Clock::time_point time, std::string_view stream,
                      std::string_view text) {
  std::string line = fmt::format("{} {} {}\n", FormatUtcMillis(time), stream, text);
  if (file_ != nullptr && write_errno_ == 0 &&
      std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
    write_errno_ = errno != 0 ? errno : EIO;
  }
  if (tail_.size() == kTailLines) tail_.erase(tail_.begin());
  line.pop_back();
  tail_.push_back(std::move(line));
}

void ActionLog::OnLine(const exec::OutputLine& line) {
  if (line.stream == exec::Stream::kStdout) {
    if (int step = ParseStepMarker(line.text); step > 0) {
      last_step_ = step;
      const size_t index = static_cast<size_t>(step - 1);
      Write(line.time, "---",
            fmt::format("step {}/{}: {}", step, step_titles_.size(),
                        index < step_titles_.size() ? step_titles_[index] : ""));
      return;
    }
  }
  std::string_view stream = line.stream == exec::Stream::kStdout   ? "out"
                            : line.stream == exec::Stream::kStderr ? "err"
                                                                   : "---";
  Write(line.time, stream, line.text);
}

void ActionLog::Note(std::string_view text) { Write(exec::Clock::now(), "---", text); }

void ActionLog::Flush() {
  if (file_ != nullptr && write_errno_ == 0 && std::fflush(file_) != 0) write_errno_ = errno;
}

Result<void> ActionLog::Close() {
  if (file_ != nullptr) {
    if (std::fflush(file_) != 0 && write_errno_ == 0) write_errno_ = errno;
    if (std::fclose(file_) != 0 && write_errno_ == 0) write_errno_ = errno;
    file_ = nullptr;
  }
  if (write_errno_ != 0)
    return std::unexpected(ErrnoError(write_errno_, "cannot write log " + path_.string()));
  return {};
}

LogLine ParseLogLine(std::string_view line) {
  // TIME (24 chars) SPACE STREAM (3) SPACE TEXT
  if (line.size() >= 29 && line[23] == 'Z' && line[24] == ' ' && line[28] == ' ') {
    return {std::string(line.substr(0, 24)), std::string(line.substr(25, 3)),
            std::string(line.substr(29))};
  }
  return {"", "out", std::string(line)};
}

}  // namespace lockstep::engine
