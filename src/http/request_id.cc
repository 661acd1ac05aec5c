#include "http/request_id.h"

#include <openssl/rand.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <random>

namespace lockstep::http {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

namespace {

// Fills `bytes` from the kernel's CSPRNG.
void FillRandom(uint8_t* bytes, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = getrandom(bytes + filled, size - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom does not fail on Linux >= 3.17; should it (a seccomp filter), OpenSSL's
      // generator is the fallback, and the C++ library's after it.
      if (RAND_bytes(bytes, static_cast<int>(size)) != 1) {
        std::random_device device;
        for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(device());
      }
      return;
    }
    filled += static_cast<size_t>(n);
  }
}

}  // namespace

std::string NewRequestId() {
  // One system call per 256 ids rather than one per id: the gateway makes an id for most
  // requests. Each thread draws from its own block, and no byte is used twice.
  constexpr size_t kIdBytes = 16;
  thread_local std::array<uint8_t, kIdBytes * 256> block;
  thread_local size_t used = block.size();
  if (used == block.size()) {
    FillRandom(block.data(), block.size());
    used = 0;
  }
  std::array<uint8_t, kIdBytes> bytes;
  std::copy_n(block.begin() + static_cast<std::ptrdiff_t>(used), kIdBytes, bytes.begin());
  used += kIdBytes;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(bytes.size() * 2);
  for (uint8_t byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 0xf]);
  }
  return id;
}

std::string RequestIdFor(std::string_view incoming) {
  return IsValidRequestId(incoming) ? std::string(incoming) : NewRequestId();
}

}  // namespace lockstep::http
