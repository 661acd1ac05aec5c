#include "runtime/static_handler.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <optional>
#include <variant>
#include <vector>

#include "http/json_error.h"

namespace lockstep::runtime {
namespace {

namespace net = boost::asio;

// Reads and discards a request body of at most kStaticDiscardBytes, so that the connection
// stays usable; a body declared longer is not read at all, and one of unknown length is read
// only up to about that much (the server closes a connection whose request body is unread).
// Returns false when a read failed: the exchange is broken and the handler must stop.
net::awaitable<bool> DiscardSmallBody(http::Exchange& exchange) {
  if (exchange.body_complete()) co_return true;
  const http::RequestHead& head = exchange.request();
  if (head.content_length && *head.content_length > kStaticDiscardBytes) co_return true;
  uint64_t discarded = 0;
  while (discarded <= kStaticDiscardBytes) {
    Result<std::string_view> chunk = co_await exchange.ReadBodyChunk(kStaticChunkBytes);
    if (!chunk) co_return false;
    if (chunk->empty()) co_return true;
    discarded += chunk->size();
  }
  co_return true;
}

constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr int64_t kNsPerSecond = 1'000'000'000;

// The value of `digits` decimal digits at `text[at]`, or -1 when one is not a digit.
int DigitsAt(std::string_view text, size_t at, size_t digits) {
  int value = 0;
  for (size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Seconds rounded down, also before the epoch.
int64_t FloorSeconds(int64_t unix_ns) {
  int64_t seconds = unix_ns / kNsPerSecond;
  if (unix_ns % kNsPerSecond < 0) --seconds;
  return seconds;
}

// ASCII case-insensitive equality, for header names.
bool IEquals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return std::ranges::equal(a, b, [&](char x, char y) { return lower(x) == lower(y); });
}

// Every If-None-Match field joined into one list: RFC 9110 lets a list be split across fields.
std::optional<std::string> IfNoneMatch(const http::Headers& headers) {
  std::optional<std::string> joined;
  for (const auto& [name, value] : headers.fields()) {
    if (!IEquals(name, "If-None-Match")) continue;
    if (joined) {
      joined->append(", ");
      joined->append(value);
    } else {
      joined = value;
    }
  }
  return joined;
}

// Whether a GET or HEAD of `file` may be answered 304 (RFC 9110 section 13.2.2).
bool ClientHasIt(const http::Headers& headers, const StaticFile& file) {
  if (std::optional<std::string> if_none_match = IfNoneMatch(headers)) {
    return NotModified(*if_none_match, file.etag);
  }
  std::optional<std::string_view> if_modified_since = headers.Find("If-Modified-Since");
  if (!if_modified_since) return false;
  std::optional<int64_t> since = ParseHttpDate(*if_modified_since);
  return since && FloorSeconds(file.mtime_ns) <= *since;
}

net::awaitable<void> RespondError(http::Exchange& exchange, int status) {
  http::Response response =
      http::JsonErrorResponse(status, http::StatusMessage(status), exchange.request().request_id);
  (void)co_await exchange.Respond(std::move(response));
}

// Writes the file's `size` bytes as body chunks, reading one chunk at a time. Returns false
// when the body could not be completed (the client is gone, a read failed, or the file
// shrank); the server then closes the connection, as the body is shorter than declared.
net::awaitable<bool> SendFileBody(http::Exchange& exchange, const StaticFile& file) {
  std::vector<char> buffer(static_cast<size_t>(std::min<uint64_t>(file.size, kStaticChunkBytes)));
  uint64_t offset = 0;
  while (offset < file.size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), file.size - offset));
    ssize_t n = ::pread(file.fd.get(), buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why =
          n < 0 ? ErrnoError(errno, "reading a static file").ToString() : "the file shrank";
      spdlog::error("request {}: static body cut short at byte {} of {}: {}",
                    exchange.request().request_id, offset, file.size, why);
      co_return false;
    }
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    Result<void> written = co_await exchange.WriteBodyChunk(chunk);
    if (!written) co_return false;
    offset += static_cast<uint64_t>(n);
  }
  co_return true;
}

}  // namespace

std::string HttpDate(int64_t unix_ns) {
  std::time_t time = static_cast<std::time_t>(FloorSeconds(unix_ns));
  std::tm utc{};
  if (::gmtime_r(&time, &utc) == nullptr) return "Thu, 01 Jan 1970 00:00:00 GMT";
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  //  0123456789012345678901234567 8
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::ranges::find(kDays, text.substr(0, 3)) == std::end(kDays)) return std::nullopt;
  auto month = std::ranges::find(kMonths, text.substr(8, 3));
  if (month == std::end(kMonths)) return std::nullopt;
  int day = DigitsAt(text, 5, 2);
  int year = DigitsAt(text, 12, 4);
  int hour = DigitsAt(text, 17, 2);
  int minute = DigitsAt(text, 20, 2);
  int second = DigitsAt(text, 23, 2);
  if (day < 1 || day > 31 || year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = static_cast<int>(month - std::begin(kMonths));
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  return static_cast<int64_t>(::timegm(&utc));
}

net::awaitable<void> ServeStatic(http::Exchange& exchange, int site_root_fd,
                                 std::string_view target, const StaticOptions& options) {
  const http::RequestHead& head = exchange.request();
  bool may_answer = co_await DiscardSmallBody(exchange);
  if (!may_answer) co_return;

  bool is_head = head.method == "HEAD";
  if (head.method != "GET" && !is_head) {
    http::Response response =
        http::JsonErrorResponse(405, http::StatusMessage(405), head.request_id);
    response.headers.Set("Allow", "GET, HEAD");
    (void)co_await exchange.Respond(std::move(response));
    co_return;
  }

  Result<StaticReply> reply = OpenStaticFile(site_root_fd, target, options);
  if (!reply) {
    spdlog::error("request {}: serving a static file: {}", head.request_id,
                  reply.error().ToString());
    co_await RespondError(exchange, 500);
    co_return;
  }
  if (auto* refusal = std::get_if<StaticRefusal>(&*reply)) {
    spdlog::debug("request {}: static {}: {}", head.request_id, refusal->status, refusal->reason);
    co_await RespondError(exchange, refusal->status);
    co_return;
  }
  if (auto* redirect = std::get_if<StaticRedirect>(&*reply)) {
    http::Response response;
    response.status = 301;
    response.headers.Set("Location", std::move(redirect->location));
    // A 301 is cached for good unless told otherwise; the next release may turn the directory
    // into a file, so browsers must ask again.
    response.headers.Set("Cache-Control", "no-cache");
    (void)co_await exchange.Respond(std::move(response));
    co_return;
  }

  const StaticFile& file = std::get<StaticFile>(*reply);
  if (ClientHasIt(head.headers, file)) {
    // RFC 9110 section 15.4.5: the validator and caching fields of the 200, no metadata else.
    http::ResponseHead not_modified;
    not_modified.status = 304;
    not_modified.headers.Set("ETag", file.etag);
    not_modified.headers.Set("Cache-Control", std::string(file.cache_control));
    Result<void> sent = co_await exchange.WriteHead(std::move(not_modified));
    if (!sent) co_return;
    (void)co_await exchange.FinishBody();
    co_return;
  }

  http::ResponseHead ok;
  ok.status = 200;
  ok.headers.Set("Content-Type", std::string(file.content_type));
  ok.headers.Set("ETag", file.etag);
  ok.headers.Set("Cache-Control", std::string(file.cache_control));
  ok.headers.Set("Last-Modified", HttpDate(file.mtime_ns));
  ok.headers.Set("X-Content-Type-Options", "nosniff");
  ok.content_length = file.size;
  Result<void> sent = co_await exchange.WriteHead(std::move(ok));
  if (!sent) co_return;
  // A HEAD response carries no body: the exchange owes none of its Content-Length.
  if (!is_head) {
    bool complete = co_await SendFileBody(exchange, file);
    if (!complete) co_return;
  }
  (void)co_await exchange.FinishBody();
}

}  // namespace lockstep::runtime
