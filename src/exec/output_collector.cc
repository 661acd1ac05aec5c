#include "exec/output_collector.h"

#include <fmt/core.h>

namespace lockstep::exec {

OutputCollector::OutputCollector(uint64_t max_bytes, const std::vector<std::string>& secrets)
    : out_{SecretMasker(secrets), LineSplitter(Stream::kStdout), {}},
      err_{SecretMasker(secrets), LineSplitter(Stream::kStderr), {}},
      max_bytes_(max_bytes) {}

void OutputCollector::Add(Stream stream, std::string_view bytes, Clock::time_point time,
                          std::vector<OutputLine>& out) {
  StreamState& state = StateOf(stream);
  state.last_read = time;
  uint64_t kept = output_bytes_ - dropped_bytes_;
  output_bytes_ += bytes.size();
  uint64_t room = max_bytes_ - kept;
  if (bytes.size() > room) {
    dropped_bytes_ += bytes.size() - room;
    bytes = bytes.substr(0, static_cast<size_t>(room));
  }
  if (bytes.empty()) return;
  state.splitter.Add(state.masker.Feed(bytes), time, out);
}

void OutputCollector::End(Stream stream, std::vector<OutputLine>& out) {
  StreamState& state = StateOf(stream);
  // Once output was cut, what the masker holds back may be the start of a secret whose end
  // was dropped: it is dropped too rather than shown unmasked.
  if (dropped_bytes_ == 0) state.splitter.Add(state.masker.Flush(), state.last_read, out);
  state.splitter.Finish(out);
}

std::optional<OutputLine> OutputCollector::TruncationNote(Clock::time_point time) const {
  if (dropped_bytes_ == 0) return std::nullopt;
  return OutputLine{Stream::kNote, time,
                    fmt::format("output truncated: {} bytes written, {} kept", output_bytes_,
                                output_bytes_ - dropped_bytes_)};
}

}  // namespace lockstep::exec
