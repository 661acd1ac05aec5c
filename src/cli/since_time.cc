#include "cli/since_time.h"

#include <fmt/core.h>

#include <charconv>
#include <chrono>
#include <optional>

#include "base/duration.h"

namespace lockstep::cli {
namespace {

// Reads exactly `digits` decimal digits at `pos`, advancing it.
std::optional<int> Digits(std::string_view text, size_t& pos, size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  pos += digits;
  return value;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH:MM]" as milliseconds since the epoch.
std::optional<int64_t> ParseInstant(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  auto year = Digits(text, pos, 4);
  if (!year || !Expect(text, pos, '-')) return std::nullopt;
  auto month = Digits(text, pos, 2);
  if (!month || !Expect(text, pos, '-')) return std::nullopt;
  auto day = Digits(text, pos, 2);
  if (!day) return std::nullopt;
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  int64_t ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count();
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    auto hour = Digits(text, pos, 2);
    if (!hour || *hour > 23 || !Expect(text, pos, ':')) return std::nullopt;
    auto minute = Digits(text, pos, 2);
    if (!minute || *minute > 59) return std::nullopt;
    int second = 0;
    int millis = 0;
    if (Expect(text, pos, ':')) {
      auto s = Digits(text, pos, 2);
      if (!s || *s > 59) return std::nullopt;
      second = *s;
      if (Expect(text, pos, '.')) {
        auto fraction = Digits(text, pos, 3);
        if (!fraction) return std::nullopt;
        millis = *fraction;
      }
    }
    ms += ((*hour * 60 + *minute) * 60 + second) * int64_t{1000} + millis;
  }
  if (pos == text.size()) return ms;
  if (text[pos] == 'Z') return pos + 1 == text.size() ? std::optional(ms) : std::nullopt;
  const char sign = text[pos++];
  if (sign != '+' && sign != '-') return std::nullopt;
  auto hours = Digits(text, pos, 2);
  if (!hours || !Expect(text, pos, ':')) return std::nullopt;
  auto minutes = Digits(text, pos, 2);
  if (!minutes || pos != text.size() || *hours > 23 || *minutes > 59) return std::nullopt;
  const int64_t offset = (*hours * 60 + *minutes) * int64_t{60'000};
  return sign == '+' ? ms - offset : ms + offset;
}

}  // namespace

Result<int64_t> ParseSince(std::string_view text, int64_t now_ms) {
  if (text.size() >= 2 && text.back() == 'd') {
    int64_t days = 0;
    std::string_view number = text.substr(0, text.size() - 1);
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), days);
    if (error == std::errc() && end == number.data() + number.size() && days > 0 &&
        days < 1'000'000) {
      return now_ms - days * 86'400'000;
    }
  }
  if (Result<std::chrono::milliseconds> ago = ParseDuration(text)) return now_ms - ago->count();
  if (std::optional<int64_t> instant = ParseInstant(text)) return *instant;
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("--since {}: expected a duration such as 15m, 2h or 3d, or a UTC time "
                          "such as 2026-12-05 or 2026-12-05T01:02:03Z",
                          text));
}

}  // namespace lockstep::cli
