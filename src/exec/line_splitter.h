// Cuts one output stream into lines. Thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "exec/process.h"

namespace lockstep::exec {

class LineSplitter {
 public:
  static constexpr size_t kMaxLine = size_t{64} << 10;

  // Lines longer than `max_line` bytes are delivered in pieces of at most that size, cut
  // before a UTF-8 sequence rather than inside it.
  explicit LineSplitter(Stream stream, size_t max_line = kMaxLine);

  // Appends to `out` the lines that `bytes` completes, without their newline. `time` is when
  // the bytes were read; a line carries the time of the bytes that started it.
  void Add(std::string_view bytes, Clock::time_point time, std::vector<OutputLine>& out);
  // Appends the last line when it had no newline (end of stream).
  void Finish(std::vector<OutputLine>& out);

 private:
  void Emit(size_t length, std::vector<OutputLine>& out);

  Stream stream_;
  size_t max_line_;
  std::string partial_;
  Clock::time_point partial_time_;
};

}  // namespace lockstep::exec
