// ServeStatic: answers one HTTP exchange from a static site, the gateway's CDN side. It puts
// OpenStaticFile (static_site.h), which decides what a request-target resolves to, on the wire:
//
//   method other than GET/HEAD  -> 405, `Allow: GET, HEAD`, a JSON error body
//   StaticRefusal               -> its status (400, 403, 404) as a JSON error; the refusal's
//                                  reason goes to the debug log, never to the client
//   StaticRedirect              -> 301 with Location and no body
//   an Error from the resolver  -> 500 as a JSON error; the error is logged
//   StaticFile, If-None-Match   -> 304 with ETag and Cache-Control, no body
//     matching its ETag
//   StaticFile otherwise        -> 200 with Content-Type, Content-Length, ETag, Cache-Control,
//                                  Last-Modified and X-Content-Type-Options: nosniff; the body
//                                  is read from the open file in chunks of kStaticChunkBytes
//                                  and written as it is read, so a file is never held whole in
//                                  memory. HEAD sends the same head and no body (and reads
//                                  nothing from the file).
//
// A request body (legal but meaningless on GET) is read and discarded when it is at most
// kStaticDiscardBytes long, so that the connection can serve its next request; a longer one is
// left unread, and the server closes the connection after the response.
//
// Conditional GET follows RFC 9110 section 13.2.2: If-None-Match decides when present; without
// it, If-Modified-Since in IMF-fixdate form is honoured (Last-Modified at or before it is a
// 304); the obsolete date forms are ignored, which only costs a full response.
//
// Range requests are not supported: Range is ignored and the whole file is sent with 200,
// which RFC 9110 allows.
//
// File reads happen inline on the exchange's strand, as pread(2) of kStaticChunkBytes at a
// time. From the page cache such a read takes microseconds; a cold read stalls only this
// connection's strand thread for one disk read while other threads of the io_context keep
// serving. Moving reads to a thread pool would pay a hand-off per chunk for every warm read,
// which is the common case for a site served repeatedly.
//
// Thread-safe: each call touches only its exchange; the root fd is only read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
// boost/asio/awaitable.hpp (1.74) uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on

#include "http/exchange.h"
#include "runtime/static_site.h"

namespace lockstep::runtime {

// The size of one read from a file and of one body chunk written to the client.
inline constexpr size_t kStaticChunkBytes = 64 * 1024;
// The longest request body ServeStatic reads and discards to keep the connection alive.
inline constexpr uint64_t kStaticDiscardBytes = 64 * 1024;

// Answers `exchange` from the site whose root directory is `site_root_fd` (opened with O_PATH
// or O_DIRECTORY; not owned, must stay open until the coroutine completes). `target` is the
// request-target after routing ("/path?query", any route prefix already removed); it and
// `options` must stay valid until the coroutine completes. Always sends a response unless a
// call on the exchange fails (the client is gone), in which case it stops at once. A file
// that shrinks while it is sent ends the body short, which makes the server close the
// connection; a failed read does the same and is logged.
boost::asio::awaitable<void> ServeStatic(http::Exchange& exchange, int site_root_fd,
                                         std::string_view target, const StaticOptions& options);

// An HTTP-date in the IMF-fixdate form of RFC 9110 ("Sun, 06 Nov 1994 08:49:37 GMT") for
// `unix_ns` nanoseconds since the Unix epoch, rounded down to the second.
std::string HttpDate(int64_t unix_ns);

// The seconds since the Unix epoch of an HTTP-date in IMF-fixdate form, the form HttpDate
// writes; nullopt for anything else (the obsolete RFC 850 and asctime forms included), or a
// date whose fields are out of range (a day past the end of its month, such as 31 Feb, rolls
// over into the next). The day name is checked to be one, not to be right.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace lockstep::runtime
