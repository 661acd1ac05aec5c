#include "base/duration.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace lockstep {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid duration '{}': expected a whole number and a unit, like "
                            "500ms, 30s, 2m or 1h",
                            text));
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return invalid();
  long long value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  std::string_view unit = text.substr(digits);
  long long factor = 0;
  if (unit == "ms") factor = 1;
  if (unit == "s") factor = 1000;
  if (unit == "m") factor = 60'000;
  if (unit == "h") factor = 3'600'000;
  if (factor == 0) return invalid();
  if (value == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid duration '{}': must be greater than zero", text));
  }
  return std::chrono::milliseconds(value * factor);
}

std::string DescribeDuration(std::chrono::milliseconds duration) {
  long long ms = std::max<long long>(duration.count(), 0);
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms < 60'000) {
    if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  return fmt::format("{}m{}s", ms / 60'000, (ms / 1000) % 60);
}

}  // namespace lockstep
