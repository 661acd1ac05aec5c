// The handler side of one HTTP exchange: a request head, a body read in chunks, and a response
// written either whole or as a head followed by body chunks. The API uses simple handlers
// (MakeSimpleHandler: a pure function Request -> Response); the gateway streams, so that
// neither proxied bodies nor large static files are ever held whole in memory.
//
// An Exchange is used from the coroutine the server started for it, on that connection's strand;
// it is not thread-safe, and it lives until the handler's coroutine returns.
//
// Failures on the client side (a body over the limit, a malformed chunk, a timeout, a closed
// connection) make the exchange broken: the failing call returns the Error, every later call
// fails with kCancelled, and the server answers the client itself when it still can (413 for a
// body over the limit, 400 for a malformed body) and closes the connection. A handler only
// needs to stop and return when a call fails.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
// boost/asio/awaitable.hpp (1.74) uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on

#include "base/error.h"
#include "http/http_types.h"

namespace lockstep::http {

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const RequestHead& request() const = 0;

  // The next piece of the request body, at most `max_bytes` long (> 0); an empty view once the
  // body is complete (at once for a request without a body). The view is valid until the next
  // call. Sends `100 Continue` first when the client asked for it. Fails with kInvalidArgument
  // for a body over the limit or a malformed chunked body, kCancelled on a timeout or a closed
  // connection.
  virtual boost::asio::awaitable<Result<std::string_view>> ReadBodyChunk(size_t max_bytes) = 0;

  // Whether the whole request body has been read.
  virtual bool body_complete() const = 0;

  // Sends the response head. Precondition: no head was sent yet. With a content_length, the
  // body chunks must add up to exactly that many bytes. Fails with kCancelled when the client
  // is gone or does not read within the write timeout.
  virtual boost::asio::awaitable<Result<void>> WriteHead(ResponseHead head) = 0;

  // Sends a piece of the body (an empty one is a no-op). Precondition: WriteHead succeeded. For
  // HEAD requests and 204/304 responses the bytes are counted but not sent. Fails with
  // kInvalidArgument when the bytes would exceed the declared content_length.
  virtual boost::asio::awaitable<Result<void>> WriteBodyChunk(std::string_view bytes) = 0;

  // Ends the body (the last chunk of a chunked body). The server calls it when a handler
  // returns without doing so; a body shorter than its content_length closes the connection.
  virtual boost::asio::awaitable<Result<void>> FinishBody() = 0;

  // Sends a whole response (head and body together). Precondition: no head was sent yet.
  virtual boost::asio::awaitable<Result<void>> Respond(Response response) = 0;

  // Whether a response head has been sent (or the attempt failed).
  virtual bool head_sent() const = 0;
};

// Serves one exchange. The handler must send a response unless a call on the exchange failed;
// returning without one makes the server answer 500. An exception that escapes becomes a 500
// (or a closed connection when the head was sent already); its text is logged, never sent.
using StreamHandler = std::function<boost::asio::awaitable<void>(Exchange&)>;

// A handler that needs the whole request: the server reads the body (answering 413 beyond
// `max_body_bytes`), calls `handler` and writes its response. `handler` runs on the event loop
// and must not block; it may run on several threads at once.
using SimpleHandler = std::function<Response(const Request&)>;

// Adapts a SimpleHandler. `max_body_bytes` is in addition to the server's own limit.
StreamHandler MakeSimpleHandler(SimpleHandler handler, uint64_t max_body_bytes = 1 << 20);

}  // namespace lockstep::http
