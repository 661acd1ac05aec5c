#include "runtime/health_probe.h"

#include <fmt/core.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace lockstep::runtime {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

net::awaitable<Result<int>> ProbeHealth(uint16_t port, std::string path,
                                        std::chrono::milliseconds timeout) {
  auto executor = co_await net::this_coro::executor;
  boost::beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  boost::system::error_code error;
  auto token = net::redirect_error(net::use_awaitable, error);
  net::ip::tcp::endpoint endpoint(net::ip::address_v4::loopback(), port);
  auto describe = [&](std::string_view what) -> Result<int> {
    if (error == boost::beast::error::timeout) {
      return Fail(ErrorCode::kCancelled, fmt::format("no answer within {}ms", timeout.count()));
    }
    return Fail(ErrorCode::kUnavailable, fmt::format("{}: {}", what, error.message()));
  };
  co_await stream.async_connect(endpoint, token);
  if (error) co_return describe("connect");
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get, path, 11);
  request.set(bhttp::field::host, fmt::format("127.0.0.1:{}", port));
  request.set(bhttp::field::user_agent, "lockstep-health-check");
  request.set(bhttp::field::connection, "close");
  co_await bhttp::async_write(stream, request, token);
  if (error) co_return describe("send");
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  co_await bhttp::async_read_header(stream, buffer, parser, token);
  if (error) co_return describe("read");
  int status = static_cast<int>(parser.get().result_int());
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  co_return status;
}

}  // namespace lockstep::runtime
