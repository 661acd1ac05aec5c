// JSON string literals written by hand, for formats whose bytes are hashed (the sync manifest,
// the audit chain) and so must not depend on a library's choices. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace lockstep {

// Appends `text` to `out` as a JSON string: `"` and `\` escaped with a backslash, U+0008,
// U+0009, U+000A, U+000C, U+000D as \b \t \n \f \r, the other controls below U+0020 as
// \u00xx (lower-case hex), every other byte as it is (what nlohmann::json's dump writes). `text`
// is valid UTF-8 (checked by the caller), so the result is too; it never contains a raw line
// break.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace lockstep
