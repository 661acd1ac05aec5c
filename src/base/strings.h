// Small string helpers shared by the parsers: edit distance for "did you mean" suggestions.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockstep {

// Edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
// neighbouring characters: the optimal string alignment distance), comparing ASCII letters
// case-insensitively.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo (at most a
// third of the word's length, and at least one edit allowed); nullopt otherwise. Ties go to
// the earliest candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string_view> candidates);
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates);

// `text` with ASCII letters in upper or lower case; other bytes unchanged.
// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool IsValidUtf8(std::string_view text);

std::string AsciiUpper(std::string_view text);
std::string AsciiLower(std::string_view text);

// Joins `items` with `separator`.
std::string Join(std::span<const std::string> items, std::string_view separator);

}  // namespace lockstep
