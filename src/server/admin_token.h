// The admin token that guards every mutation through the API: made on the server's first
// start, kept in the state directory readable by its owner only, read by the CLI, and
// compared in constant time. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lockstep::server {

// The token file's name in the state directory.
inline constexpr std::string_view kAdminTokenFile = "admin-token";

// Reads `state_directory`/admin-token, or makes it (64 hex digits from the kernel's CSPRNG,
// mode 0600, created exclusively so two servers cannot both write one). Refuses with
// kPermissionDenied a token file that others can read or write or that someone else owns,
// and with kCorruption one that is not 64 hex digits; the messages name the file, never the
// token.
Result<std::string> LoadOrCreateAdminToken(const std::filesystem::path& state_directory);

// Reads the token without making one (for the CLI): kNotFound when the server never ran here.
Result<std::string> ReadAdminToken(const std::filesystem::path& state_directory);

// Whether `given` is `expected`, in time that does not depend on where they differ or on
// their lengths: both are hashed and the digests compared with CRYPTO_memcmp.
bool TokenMatches(std::string_view given, std::string_view expected);

}  // namespace lockstep::server
