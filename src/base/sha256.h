// SHA-256 and HMAC-SHA-256 through OpenSSL's libcrypto. A Sha256 object is not thread-safe;
// the free functions are.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace lockstep {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental SHA-256: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  Sha256Digest Finish();
  // Starts a new message on the same object: for hashing many small messages, cheaper than
  // a new object each time.
  void Reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lower-case hex of `bytes`.
std::string ToHex(std::span<const uint8_t> bytes);

// SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

// HMAC-SHA-256 of `data` under `key`, as 64 lower-case hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares two strings in time that depends only on their lengths (for tokens and MACs).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace lockstep
