#include "server/admin_token.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "base/file.h"
#include "base/sha256.h"

namespace lockstep::server {
namespace {

namespace fs = std::filesystem;

constexpr size_t kTokenBytes = 32;

bool IsToken(std::string_view text) {
  if (text.size() != kTokenBytes * 2) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> NewToken() {
  std::array<uint8_t, kTokenBytes> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoError(errno, "cannot get random bytes for the admin token"));
    }
    filled += static_cast<size_t>(got);
  }
  return ToHex(bytes);
}

// Opens and checks the token file; kNotFound when there is none.
Result<std::string> ReadChecked(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Fail(
          ErrorCode::kNotFound,
          fmt::format("{}: no admin token (has `lockstep serve` run here?)", file.string()));
    }
    return std::unexpected(ErrnoError(errno, file.string()));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) return std::unexpected(ErrnoError(errno, file.string()));
  if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077) != 0) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("{}: the admin token file must be a file of yours that only you can "
                            "read (chmod 600)",
                            file.string()));
  }
  std::string text(kTokenBytes * 2 + 2, '\0');
  ssize_t got = ::read(fd, text.data(), text.size());
  if (got < 0) return std::unexpected(ErrnoError(errno, file.string()));
  text.resize(static_cast<size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!IsToken(text)) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("{}: not an admin token (64 hex digits); delete it and restart "
                            "`lockstep serve` to make a new one",
                            file.string()));
  }
  return text;
}

}  // namespace

Result<std::string> ReadAdminToken(const fs::path& state_directory) {
  return ReadChecked(state_directory / kAdminTokenFile);
}

Result<std::string> LoadOrCreateAdminToken(const fs::path& state_directory) {
  fs::path file = state_directory / kAdminTokenFile;
  Result<std::string> existing = ReadChecked(file);
  if (existing || existing.error().code() != ErrorCode::kNotFound) return existing;
  Result<std::string> token = NewToken();
  if (!token) return token;
  // Exclusive, and 0600 from the first byte: never a moment when others could read it.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadChecked(file);  // another server made it just now
    return std::unexpected(ErrnoError(errno, file.string()));
  }
  std::string line = *token + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                 ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (!written) {
    ::unlink(file.c_str());
    return std::unexpected(ErrnoError(error, file.string()));
  }
  return token;
}

bool TokenMatches(std::string_view given, std::string_view expected) {
  std::string a = Sha256Hex(given);
  std::string b = Sha256Hex(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0 && !expected.empty();
}

}  // namespace lockstep::server
