#include "exec/line_splitter.h"

namespace lockstep::exec {

LineSplitter::LineSplitter(Stream stream, size_t max_line) : stream_(stream), max_line_(max_line) {}

void LineSplitter::Add(std::string_view bytes, Clock::time_point time,
                       std::vector<OutputLine>& out) {
  while (!bytes.empty()) {
    if (partial_.empty()) partial_time_ = time;
    size_t newline = bytes.find('\n');
    partial_.append(bytes.substr(0, newline));
    // A line of exactly max_line_ bytes stays whole; only longer ones are cut.
    while (partial_.size() > max_line_) {
      size_t cut = max_line_;
      // Back up over at most three continuation bytes (10xxxxxx) to the start of the UTF-8
      // sequence they belong to.
      for (int i = 0;
           i < 3 && cut > 1 && (static_cast<unsigned char>(partial_[cut]) & 0xC0) == 0x80; ++i) {
        --cut;
      }
      if ((static_cast<unsigned char>(partial_[cut]) & 0xC0) == 0x80) cut = max_line_;
      Emit(cut, out);
    }
    if (newline == std::string_view::npos) break;
    Emit(partial_.size(), out);
    bytes.remove_prefix(newline + 1);
  }
}

void LineSplitter::Finish(std::vector<OutputLine>& out) {
  if (!partial_.empty()) Emit(partial_.size(), out);
}

void LineSplitter::Emit(size_t length, std::vector<OutputLine>& out) {
  out.push_back({stream_, partial_time_, partial_.substr(0, length)});
  partial_.erase(0, length);
}

}  // namespace lockstep::exec
