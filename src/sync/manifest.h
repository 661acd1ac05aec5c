// The integrity manifest of a synced directory: what `lockstep sync` copied from where, and the
// path, mode, size and SHA-256 of every file it left there, sealed by a digest over the whole
// manifest so that a changed or damaged manifest is detected rather than trusted.
//
// The manifest lives in the synced directory's root as kManifestFileName. All functions here
// are pure (no shared state) and safe to call from any thread.
//
// File format (WriteManifestJson): a JSON object
//
//   {
//     "format_version": 1,
//     "source_repository": "...", "source_path": "...", "commit": "<hex>", "tree_id": "<hex>",
//     "time": "2026-12-04T18:43:24Z", "actor": "...",
//     "digest": "<64 hex>",
//     "files": [
//       {"path": "src/main.cc", "mode": "100644", "size": 120, "sha256": "<64 hex>"},
//       ...
//     ]
//   }
//
// `mode` is the git file mode as a string of octal digits. `files` is sorted by path in byte
// order (memcmp order of the UTF-8 bytes), one entry per path, directories not listed.
//
// Canonical form (what ManifestDigest hashes): the same JSON object without the "digest" key,
// serialized with every object's keys in byte order and no whitespace at all, numbers in
// decimal, strings as UTF-8 with only `"`, `\` and characters below U+0020 escaped (\b \f \n
// \r \t, the others as \u00xx with lower-case hex), i.e. for one file:
//
//   {"actor":"ci","commit":"<hex>","files":[{"mode":"100644","path":"a b/ü.txt","sha256":
//   "<hex>","size":3}],"format_version":1,"source_path":"lib","source_repository":"/r",
//   "time":"2026-12-04T18:43:24Z","tree_id":"<hex>"}
//
// (shown wrapped; it is one line). The digest is the lower-case hex SHA-256 of those bytes.
// Because the digest is computed from the parsed values, re-indenting the file or reordering
// its keys keeps it valid; changing any value or adding or removing an entry does not.
// The digest is a plain hash, not a signature: it catches damage and hand edits, not someone
// who edits the manifest and recomputes the digest on purpose.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep::sync {

// The manifest's file name in the synced directory's root. HashTree skips it.
inline constexpr std::string_view kManifestFileName = ".lockstep-sync.json";

// The only format this code writes and reads.
inline constexpr int kManifestFormatVersion = 1;

// Git's file modes, the only ones a manifest holds.
inline constexpr uint32_t kModeRegular = 0100644;
inline constexpr uint32_t kModeExecutable = 0100755;
inline constexpr uint32_t kModeSymlink = 0120000;

struct ManifestEntry {
  std::string path;    // relative, '/'-separated, UTF-8, no "." or ".." components
  uint32_t mode = 0;   // kModeRegular, kModeExecutable or kModeSymlink
  int64_t size = 0;    // bytes of the file; for a symbolic link, of its target text
  std::string sha256;  // 64 lower-case hex digits of the content (a link's target text)

  bool operator==(const ManifestEntry&) const = default;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string source_repository;     // as given to `lockstep sync` (path or URL)
  std::string source_path;           // the synced subtree in the source; "" for the whole tree
  std::string commit;                // full commit id the files come from (hex)
  std::string tree_id;               // id of the subtree at that commit (hex)
  std::string time;                  // when the sync happened, RFC 3339 in UTC ("...Z")
  std::string actor;                 // who ran it
  std::vector<ManifestEntry> files;  // sorted by path, unique
  std::string digest;                // ManifestDigest of the rest, 64 lower-case hex digits

  bool operator==(const Manifest&) const = default;
};

// The canonical serialization described above: every field but `digest`. Precondition: the
// strings are valid UTF-8 (ParseManifestJson and HashTree guarantee it); invalid sequences
// are replaced by U+FFFD rather than failing.
std::string CanonicalManifestJson(const Manifest& manifest);

// Lower-case hex SHA-256 of CanonicalManifestJson(manifest).
std::string ManifestDigest(const Manifest& manifest);

// The manifest as the indented JSON file shown above, one line per file entry, keys in the
// documented order, ending in a newline. The digest written is ManifestDigest(manifest); the
// `digest` member of the argument is ignored, so a written manifest always verifies.
std::string WriteManifestJson(const Manifest& manifest);

// Sets `manifest.digest` to ManifestDigest(manifest) and returns the file text, as
// WriteManifestJson does, without copying the manifest or computing the digest twice.
std::string SealManifest(Manifest& manifest);

// Parses a manifest file's text; `file` names it in errors. Fails with
//   kInvalidArgument: not JSON (with line:column), a missing or unknown field, a field of the
//     wrong type, an unsupported format_version, a mode other than the three above, a negative
//     size, a bad hex digest, an unsafe path (absolute, empty, ".", "..", "//", a trailing
//     '/', the manifest's own name at the top), paths not sorted or duplicated, a time not in
//     RFC 3339 UTC form;
//   kCorruption: a well-formed manifest whose digest is not ManifestDigest of its contents,
//     "manifest digest does not match: the manifest was changed or damaged".
// Messages read "file: files[3]: missing field \"sha256\"".
Result<Manifest> ParseManifestJson(std::string_view text, std::string_view file);

// Reads and parses `directory`/kManifestFileName. kNotFound when there is none; the errors of
// ParseManifestJson otherwise; kInvalidArgument when it is not a regular file (a link to a
// manifest elsewhere is not this directory's manifest).
Result<Manifest> ReadManifest(const std::filesystem::path& directory);

}  // namespace lockstep::sync
