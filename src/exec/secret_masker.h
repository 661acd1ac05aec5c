// Streaming replacement of secret values by "***". Thread-compatible.
//
// Output arrives in arbitrary chunks; a secret may be split between two. The masker holds back
// the shortest tail of the input that could still be the start of a secret, so that what it
// returns never contains a secret and never needs to be taken back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lockstep::exec {

class SecretMasker {
 public:
  // Empty values are ignored. A value with several lines is also masked line by line (lines
  // of at least 4 bytes), since programs often print one line at a time.
  explicit SecretMasker(std::vector<std::string> secrets);

  // Feeds a chunk; returns the text that is now safe to emit.
  std::string Feed(std::string_view chunk);
  // Returns whatever was held back (masked); call at end of stream.
  std::string Flush();

  // Masks a complete string at once (for errors and stored values).
  std::string Mask(std::string_view text) const;

  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first
  std::string pending_;
};

}  // namespace lockstep::exec
