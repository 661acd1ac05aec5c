// HttpServer: an HTTP/1.1 server on an Asio event loop it is given, used by both the API and the
// gateway. It owns its listening sockets and its connections; each parsed request goes to one
// StreamHandler (see exchange.h) with limits and timeouts enforced on every read and write:
//
//   - a request head over max_header_bytes is answered 431, a body over max_body_bytes 413
//     (at once when Content-Length says so, else when the limit is crossed), a malformed
//     request 400; each of these closes the connection;
//   - an idle keep-alive connection is closed after idle_timeout, a request head that takes
//     longer than header_timeout from its first byte (slowloris) is dropped, as is a body read
//     or a write that makes no progress within body_timeout / write_timeout;
//   - every exchange has an X-Request-Id (request_id.h), echoed on the response;
//   - errors the server generates are JSON (json_error.h), without internals;
//   - Stop() is graceful and bounded.
//
// One connection is served at a time by one coroutine on its own strand, so the io_context may be
// run by several threads. HttpServer's methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "http/exchange.h"
#include "http/http_types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace lockstep::http {

// An address and port to listen on. The address is numeric (IPv4 or IPv6); port 0 asks the
// operating system for a free port.
struct Endpoint {
  std::string address;
  uint16_t port = 0;

  // "127.0.0.1:7400", "[::1]:7400".
  std::string ToString() const;
};

// Parses "ADDR:PORT" or "[V6ADDR]:PORT". Fails with kInvalidArgument, naming what is wrong.
Result<Endpoint> ParseEndpoint(std::string_view text);

struct ServerOptions {
  // Largest request head (request line and fields), in bytes; beyond it 431. Default 16 KiB.
  uint32_t max_header_bytes = 16 * 1024;
  // Largest request body, in bytes; beyond it 413. Handlers may set lower limits. Default 1 GiB.
  uint64_t max_body_bytes = uint64_t{1} << 30;
  // The time a request head may take from its first byte. Default 10 s.
  std::chrono::milliseconds header_timeout{10'000};
  // The time one read of the request body may wait for data. Default 30 s.
  std::chrono::milliseconds body_timeout{30'000};
  // The time one write may wait for the client to take data. Default 30 s.
  std::chrono::milliseconds write_timeout{30'000};
  // How long a connection may wait for its next request. Default 60 s.
  std::chrono::milliseconds idle_timeout{60'000};
  // Called once per finished exchange (see AccessLogEntry), on the connection's strand; may run
  // on several threads at once. Empty: no access log.
  std::function<void(const AccessLogEntry&)> access_log;
};

class HttpServer {
 public:
  // Serves with `handler` on `io`, which must outlive the server's connections (they may be
  // destroyed with it). Nothing listens until Listen.
  HttpServer(boost::asio::io_context& io, ServerOptions options, StreamHandler handler);
  // Stops at once (Stop with no grace) if Stop was not called.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `endpoint` and starts accepting on it. Fails with kInvalidArgument for a bad address,
  // kAlreadyExists when the address is in use, kIoError otherwise.
  Result<void> Listen(const Endpoint& endpoint);

  // The bound addresses, in Listen order, with the ports the system chose.
  std::vector<Endpoint> local_endpoints() const;
  // The first of them. Precondition: Listen succeeded.
  Endpoint local_endpoint() const;

  // Stops gracefully: stops accepting, closes idle connections, lets exchanges in progress
  // finish (their responses say Connection: close) until `grace` has passed, then closes every
  // remaining connection. `on_stopped` runs once, on the event loop, when no connection is left
  // or when the grace period ends, whichever is first; a handler stuck on something other than
  // its connection is abandoned then (its coroutine is destroyed with the io_context). A later
  // call keeps the first grace period and adds its `on_stopped` (run at once if stopped).
  void Stop(std::chrono::milliseconds grace, std::function<void()> on_stopped = {});

  // Connections open now.
  size_t active_connections() const;

  struct State;  // shared with the connections, which may outlive the server object

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lockstep::http
