// The path rules of a sync: what a source subpath may be, where a symbolic link in the
// synced subtree may point, and which destinations are refused. Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lockstep::sync {

// The subpath normalised ("a/b", "" for the whole tree; surrounding and doubled slashes
// dropped). kInvalidArgument for an absolute path or a "." or ".." component.
Result<std::string> NormalizeSubpath(std::string_view subpath);

// Whether the symbolic link at `link_path` (relative to the synced subtree's root) with
// target text `target` stays inside the subtree, resolving its leading ".." lexically from the
// link's folder. kInvalidArgument naming the link otherwise, when the target is absolute, or
// when a ".." follows a name ("s/.."): the name could be another link, and ".." after a link
// goes up from wherever the link leads.
Result<void> CheckLinkTarget(std::string_view link_path, std::string_view target);

// `text` with bytes that are not printable ASCII as \xNN, for an error message.
std::string SanitizedForMessage(std::string_view text);

// Refuses a source file name that cannot go into a manifest: one that is not valid UTF-8,
// and the manifest's own name at the top of the subtree (a synced folder synced on, say),
// where the manifest would overwrite it.
Result<void> CheckSourcePath(std::string_view path);

// Whether `inner` is `outer` or below it; both absolute and lexically normal.
bool IsWithin(const std::filesystem::path& inner, const std::filesystem::path& outer);

}  // namespace lockstep::sync
