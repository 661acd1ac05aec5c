// The gateway's reverse proxy: forwards one http::Exchange to an upstream handler process
// over HTTP/1.1 and streams the answer back, head first and then the body chunk by chunk, so
// that neither body is ever held whole.
//
// The request keeps the client's method and headers minus the hop-by-hop ones (Connection and
// the fields it names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) and gains
// X-Forwarded-For (the peer appended), X-Forwarded-Proto, X-Forwarded-Host (the client's Host)
// and X-Request-Id (the exchange's id). The response keeps the upstream's status and headers
// minus the hop-by-hop ones; the server adds X-Request-Id and the framing.
//
// Failures answer JSON errors (http::JsonErrorResponse) carrying the request id and nothing
// about the upstream: 502 when the upstream cannot be reached or breaks before its response
// head, 504 when the connect or the response head times out. Idempotent methods (GET, HEAD,
// OPTIONS, PUT, DELETE) are tried once more on a fresh connection when the connect is refused
// or when a reused keep-alive connection turns out dead before any response byte, as long as
// no request body byte was consumed. A response body of known length up to 64 KiB is read
// whole and sent with the head in one write (an upstream breaking off such a body is a 502);
// larger ones stream, and an upstream that breaks after their head was sent aborts the client
// connection: a cut-off body must not look complete.
//
// UpstreamPool keeps idle keep-alive connections for reuse. Its methods are thread-safe; Proxy
// runs in the coroutine the server started for the exchange.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
// boost/asio/awaitable.hpp (1.74) uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on

#include "http/exchange.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace lockstep::runtime {

// Where an exchange goes; resolved by the caller (the route table and the handler chain).
struct Upstream {
  std::string host;     // numeric address or name, e.g. "127.0.0.1"
  uint16_t port = 0;    // the handler process's port
  std::string target;   // the upstream request-target, already rewritten by the route
  std::string service;  // the service's name, for logs
};

struct ProxyOptions {
  // The time a connect to the upstream may take; beyond it 504. Default 5 s.
  std::chrono::milliseconds connect_timeout{5'000};
  // The time from the end of the request to the upstream's response head; beyond it 504.
  // Default 60 s.
  std::chrono::milliseconds response_header_timeout{60'000};
  // The time one read or write of a body on the upstream connection may make no progress;
  // beyond it the exchange fails (502 before the response head, an aborted client connection
  // after it). Default 60 s.
  std::chrono::milliseconds body_timeout{60'000};
  // The scheme the client used to reach the gateway, sent as X-Forwarded-Proto.
  std::string client_scheme = "http";
  // The largest piece of a body moved at once, in bytes. Default 64 KiB.
  size_t chunk_bytes = 64 * 1024;
};

struct UpstreamPoolOptions {
  // Idle connections kept per upstream endpoint; a connection released beyond it is closed.
  // Default 256: as many as the clients a busy gateway proxies at once, so that a burst does
  // not end in connects.
  size_t max_idle_per_endpoint = 256;
  // How long a connection may stay idle in the pool before it is closed. Default 30 s.
  std::chrono::milliseconds idle_timeout{30'000};
};

// Counters since the pool was made.
struct UpstreamPoolStats {
  uint64_t connects = 0;         // connects attempted
  uint64_t failed_connects = 0;  // of which failed (refused, timed out, unreachable)
  uint64_t reuses = 0;           // exchanges sent on an idle connection from the pool
};

class UpstreamConnection;  // a connection to one upstream endpoint; defined in proxy.cc

// Keep-alive connections to upstream endpoints, shared by the exchanges on one io_context.
// An idle connection is closed after idle_timeout, and at once when the upstream closes it or
// sends anything unasked. Thread-safe.
class UpstreamPool {
 public:
  // Connections use `io`, which must outlive the pool.
  explicit UpstreamPool(boost::asio::io_context& io, UpstreamPoolOptions options = {});
  // Closes the idle connections; connections in use close when their exchange ends.
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Idle connections now, over all endpoints.
  size_t idle_connections() const;
  UpstreamPoolStats stats() const;

  struct State;  // shared with the idle connections' timers, which may outlive the pool

 private:
  friend class ProxyCall;  // proxy.cc: takes and returns connections
  std::shared_ptr<State> state_;
};

// Forwards `exchange` to `upstream` and streams the response back (see the top of this file).
// Always leaves the exchange answered, broken (a failed client read or write, which the server
// handles) or, when the upstream fails after the response head, aborted by an exception that
// the server turns into a closed connection. Never throws otherwise.
boost::asio::awaitable<void> Proxy(http::Exchange& exchange, UpstreamPool& pool,
                                   const Upstream& upstream, const ProxyOptions& options);

// Answers 503 for a service with no healthy handler (the caller's decision, not Proxy's).
boost::asio::awaitable<void> RespondNoHealthyHandler(http::Exchange& exchange,
                                                     std::string_view service);

}  // namespace lockstep::runtime
