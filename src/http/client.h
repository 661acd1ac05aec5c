// A small blocking HTTP/1.1 client for the command line's thin clients and for
// `lockstep verify`: one request, one response, one connection, plain HTTP only (no TLS).
//
// Every Fetch runs on an event loop of its own and is bounded by one deadline for the whole
// exchange (resolve, connect, write, read) and by limits on the response's size. Its errors
// say what failed and where ("connecting to 127.0.0.1:7400: connection refused", "no
// response from 127.0.0.1:7400 within 5s") and never include the request's body or header
// values, which may carry credentials. Fetch is thread-safe; Url and the request and response
// types are plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "http/http_types.h"

namespace lockstep::http {

// A base URL, http://HOST[:PORT][/PREFIX]: where requests go, and the path every request
// target is put under.
struct Url {
  std::string host;    // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 80;  // 80 unless the URL names one
  std::string prefix;  // "" or a path without a trailing '/', e.g. "/gateway"

  // "HOST:PORT", with brackets around an IPv6 address: for messages and the Host header.
  std::string Authority() const;
  // "http://HOST:PORT/PREFIX".
  std::string ToString() const;
};

// Parses http://HOST[:PORT][/PREFIX] (a trailing '/' is dropped). Fails with kInvalidArgument
// saying what is wrong: another scheme (https is not supported), credentials (user@), a query
// or fragment, a missing host, a port that is not 1-65535, whitespace or control characters.
Result<Url> ParseUrl(std::string_view text);

struct ClientRequest {
  std::string method = "GET";  // an HTTP token, e.g. "GET", "POST"
  std::string target = "/";    // origin form, starting with '/'; appended to Url::prefix
  // Sent as given. Host, User-Agent and Connection are set unless given here; Content-Length
  // is always computed from `body`.
  Headers headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;  // decoded from chunked framing; never compressed (none is asked for)
};

struct FetchLimits {
  // The largest response body accepted, in bytes; a larger one fails the Fetch. 16 MiB.
  uint64_t max_body_bytes = uint64_t{16} << 20;
  // The largest response head (status line and fields), in bytes. 64 KiB.
  uint32_t max_header_bytes = 64 * 1024;
};

// Sends `request` to `base` and reads the whole response, all within `timeout` (> 0).
// Fails with kInvalidArgument before connecting when the request cannot be sent as given
// (a method that is not a token, a target not starting with '/', control characters in a
// target or a header), kUnavailable when the host cannot be resolved or the connection is
// refused, reset or closed before a complete response, kCancelled when the deadline passes
// ("no response from HOST:PORT within 5s"), and kInvalidArgument for a malformed response or
// one over `limits`.
Result<ClientResponse> Fetch(const Url& base, const ClientRequest& request,
                             std::chrono::milliseconds timeout, const FetchLimits& limits = {});

}  // namespace lockstep::http
