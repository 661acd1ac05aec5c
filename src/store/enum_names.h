// Enumerations stored by name: the names are indexed by the enumerator's value and are what
// the database holds, so they never change once released. Internal to store/.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace lockstep::store {

template <class Enum, size_t N>
std::optional<Enum> ParseName(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace lockstep::store
