// Plain values for HTTP requests and responses as handlers see them, free of Boost.Beast types
// so that code outside src/server does not pay for Beast in its compile time.
//
// A RequestHead is what arrived before the body; a Request adds a whole body (for handlers
// made with MakeSimpleHandler). A ResponseHead is what a handler sends before a streamed body;
// a Response is a whole response. Thread-safe as values (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lockstep::http {

// Header fields in arrival order. Names compare without regard to case (RFC 9110); a name may
// occur more than once.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;  // name, value

  // The value of the first field named `name`, or nullopt.
  std::optional<std::string_view> Find(std::string_view name) const;
  // Appends a field, keeping any others of the same name.
  void Add(std::string name, std::string value);
  // Replaces every field named `name` with one field.
  void Set(std::string_view name, std::string value);
  // Removes every field named `name`; returns how many were removed.
  size_t Remove(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

struct RequestHead {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // origin form as sent, e.g. "/api/v1/status?x=1"
  int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
  Headers headers;     // X-Request-Id holds request_id; Expect is removed (see Exchange)
  std::optional<uint64_t> content_length;  // the declared length; nullopt when chunked or none
  bool chunked = false;                    // Transfer-Encoding: chunked
  std::string request_id;                  // the X-Request-Id of this exchange (see request_id.h)
  std::string peer;                        // the client's address, "127.0.0.1:51234" or "[::1]:5"
};

struct Request {
  RequestHead head;
  std::string body;
};

struct ResponseHead {
  int status = 200;
  // Content-Length, Transfer-Encoding, Connection and Keep-Alive are set by the server and are
  // ignored here; X-Request-Id is always set to the exchange's request id.
  Headers headers;
  // The body's length. nullopt streams a body of unknown length: chunked for HTTP/1.1 clients,
  // or delimited by closing the connection for HTTP/1.0 clients.
  std::optional<uint64_t> content_length;
};

struct Response {
  int status = 200;
  Headers headers;  // as ResponseHead::headers
  std::string body;
};

// One line of the access log: a finished exchange.
struct AccessLogEntry {
  std::string method;  // empty when the request head could not be parsed
  std::string target;
  int status = 0;               // the status sent; 0 when the connection closed before a response
  uint64_t bytes_received = 0;  // request body bytes read
  uint64_t bytes_sent = 0;      // response body bytes written
  std::chrono::microseconds duration{0};  // from the complete request head to the last byte out
  std::string request_id;
  std::string peer;
};

}  // namespace lockstep::http
