// MakeSimpleHandler: buffers the request body up to a limit, then calls a pure function.
#include <memory>
#include <string>

#include "http/exchange.h"
#include "http/json_error.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;

constexpr size_t kReadChunk = 64 * 1024;

net::awaitable<void> ServeSimple(std::shared_ptr<const SimpleHandler> handler,
                                 uint64_t max_body_bytes, Exchange& exchange) {
  const RequestHead& head = exchange.request();
  if (head.content_length && *head.content_length > max_body_bytes) {
    // Answer before reading: the connection closes, as the body stays unread.
    (void)co_await exchange.Respond(JsonErrorResponse(413, StatusMessage(413), head.request_id));
    co_return;
  }
  Request request;
  request.head = head;
  while (true) {
    Result<std::string_view> chunk = co_await exchange.ReadBodyChunk(kReadChunk);
    if (!chunk) co_return;  // the server answers or closes
    if (chunk->empty()) break;
    if (request.body.size() + chunk->size() > max_body_bytes) {
      (void)co_await exchange.Respond(JsonErrorResponse(413, StatusMessage(413), head.request_id));
      co_return;
    }
    request.body.append(*chunk);
  }
  Response response = (*handler)(request);
  (void)co_await exchange.Respond(std::move(response));
}

}  // namespace

StreamHandler MakeSimpleHandler(SimpleHandler handler, uint64_t max_body_bytes) {
  auto shared = std::make_shared<const SimpleHandler>(std::move(handler));
  return [shared, max_body_bytes](Exchange& exchange) -> net::awaitable<void> {
    return ServeSimple(shared, max_body_bytes, exchange);
  };
}

}  // namespace lockstep::http
