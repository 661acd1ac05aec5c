// Turns the raw bytes read from a process's stdout and stderr into masked output lines,
// keeping at most a given number of bytes. One per process; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/line_splitter.h"
#include "exec/process.h"
#include "exec/secret_masker.h"

namespace lockstep::exec {

class OutputCollector {
 public:
  // `max_bytes` counts the raw bytes of both streams together; see
  // ProcessSpec::max_output_bytes.
  OutputCollector(uint64_t max_bytes, const std::vector<std::string>& secrets);

  // Takes bytes read from `stream` (kStdout or kStderr) at `time` and appends the lines they
  // complete to `out`. Each stream is masked on its raw bytes before it is cut into lines, so
  // a secret split between two reads is still masked. Bytes past the cap are counted and
  // dropped.
  void Add(Stream stream, std::string_view bytes, Clock::time_point time,
           std::vector<OutputLine>& out);
  // The end of `stream`: appends its last, unterminated line, if any.
  void End(Stream stream, std::vector<OutputLine>& out);

  // "output truncated: N bytes written, M kept" when bytes were dropped.
  std::optional<OutputLine> TruncationNote(Clock::time_point time) const;

  uint64_t output_bytes() const { return output_bytes_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  struct StreamState {
    SecretMasker masker;
    LineSplitter splitter;
    Clock::time_point last_read;
  };
  StreamState& StateOf(Stream stream) { return stream == Stream::kStderr ? err_ : out_; }

  StreamState out_;
  StreamState err_;
  uint64_t max_bytes_;
  uint64_t output_bytes_ = 0;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace lockstep::exec
