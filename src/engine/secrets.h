// Where secrets come from for `lockstep run`: a KEY=VALUE file that only its owner can read,
// and LOCKSTEP_SECRET_<NAME> environment variables. Values never appear in errors.
// Thread-compatible.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "base/error.h"

namespace lockstep::engine {

using SecretMap = std::map<std::string, std::string>;

// Reads `path`: one NAME=VALUE per line, blank lines and lines starting with '#' ignored; a
// value wrapped in matching single or double quotes loses them. NAME is letters, digits, '_'
// and '-'. Refuses, with kPermissionDenied, a file readable or writable by group or others
// (chmod 600 it), and bad lines with "file:line:col: …" (kInvalidArgument).
Result<SecretMap> LoadSecretsFile(const std::filesystem::path& path);

// Secrets from the environment: LOCKSTEP_SECRET_TOKEN=x gives TOKEN.
SecretMap SecretsFromEnvironment(char** environment);

}  // namespace lockstep::engine
