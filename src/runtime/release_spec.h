// `lockstep.release.yaml`, the file at the root of a release directory that names its
// handler chain: the candidates a deployment tries in order, the first healthy one serving.
//
//   handlers:
//     - { name: integrated, command: [./bin/registry-api] }
//     - { name: enhanced,   command: [./handlers/enhanced/registry-api-enhanced, --quiet] }
//     - { name: legacy,     command: [./handlers/legacy/registry-api-legacy] }
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep::runtime {

// The release file's name at the root of a release directory.
inline constexpr std::string_view kReleaseSpecFile = "lockstep.release.yaml";

// At most this many candidates in a chain.
inline constexpr size_t kMaxHandlers = 16;

struct Handler {
  std::string name;                  // unique in the chain: [A-Za-z0-9][A-Za-z0-9._-]*, ≤ 63
  std::vector<std::string> command;  // program and arguments; the program is "./path" inside
                                     // the release, a bare name looked up on PATH, or absolute

  bool operator==(const Handler&) const = default;
};

struct ReleaseSpec {
  std::vector<Handler> handlers;  // in priority order, at least one

  bool operator==(const ReleaseSpec&) const = default;
};

// Parses the text of a release file named `file` (for messages). Fails with kInvalidArgument
// and the location of the first problem ("file:line:col: message"): YAML syntax, a missing or
// empty `handlers`, an unknown key, a name that is missing, malformed or repeated, a command
// that is not a non-empty list of strings, a program path with a ".." component or one that
// is relative without "./" and not a bare name, more than kMaxHandlers candidates.
Result<ReleaseSpec> ParseReleaseSpec(std::string_view text, std::string_view file);

// The chain as JSON ({"handlers": [{"name": …, "command": […]}]}), which ParseReleaseSpec
// reads back to an equal value: the form the state store and deploy requests carry.
std::string ReleaseSpecToJson(const ReleaseSpec& spec);

}  // namespace lockstep::runtime
