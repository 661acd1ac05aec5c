// Releases: immutable copies of a directory, stored by content hash under the state folder,
// so that deploying the same content twice is the same release and a rollback has the old
// bytes exactly. Each release keeps the sync manifest of its files (sync/manifest.h), so it
// can be checked for damage like a synced folder.
//
//   RELEASES/SERVICE/ID/            the files, read-only
//   RELEASES/SERVICE/ID/.lockstep-sync.json
//
// ID is the first 20 hex digits of the SHA-256 over the sorted list of (mode, size, SHA-256,
// path) of every file and link. Thread-compatible; two processes importing the same content
// at once both succeed with the same release.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "runtime/release_spec.h"

namespace lockstep::runtime {

struct Release {
  std::string service;
  std::string id;                   // 20 lower-case hex digits
  std::filesystem::path path;       // RELEASES/SERVICE/ID
  std::optional<ReleaseSpec> spec;  // from lockstep.release.yaml, when the release has one
  int64_t files = 0;
  int64_t bytes = 0;
  bool existed = false;  // the same content was imported before
};

// Copies `source` (a directory) into `releases_root` as a release of `service` (a name of
// letters, digits, '-', '_' and '.'), or finds the identical release already there. Refuses
// with kInvalidArgument: a bad service name, a source that is not a directory, a symbolic link
// that is absolute or leaves the directory, a FIFO, socket or device, a name that is not
// UTF-8, and a lockstep.release.yaml with errors (with their positions). A failure leaves no
// partial release behind.
Result<Release> ImportRelease(const std::filesystem::path& source,
                              const std::filesystem::path& releases_root, std::string_view service);

// The release `id` of `service`, as ImportRelease made it: kNotFound when there is none.
Result<Release> FindRelease(const std::filesystem::path& releases_root, std::string_view service,
                            std::string_view id);

}  // namespace lockstep::runtime
