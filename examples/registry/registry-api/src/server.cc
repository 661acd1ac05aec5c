#include "server.h"

#include <array>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>

namespace registry {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// A client that sends nothing for this long is disconnected, so that it cannot hold the
// (single) thread's attention or a file descriptor forever.
constexpr std::chrono::seconds kIdleTimeout(30);

// How long, and how much, a connection closed after a response is still read from.
constexpr std::chrono::seconds kLingerTimeout(5);
constexpr std::size_t kLingerBytes = 1024 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Handler* handler) : stream_(std::move(socket)), handler_(handler) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      // The rest of the body is unread, so the connection cannot be reused.
      Request head = parser_->release();
      head.body().clear();
      Response response(http::status::payload_too_large, head.version());
      response.set(http::field::content_type, "application/json");
      response.body() = R"({"error":{"message":"request body is larger than 64 KiB"}})";
      response.keep_alive(false);
      response.prepare_payload();
      Write(std::move(response));
      return;
    }
    if (ec) {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    Write(handler_->Handle(parser_->get()));
  }

  void Write(Response response) {
    response_ = std::make_unique<Response>(std::move(response));
    stream_.expires_after(kIdleTimeout);
    http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    bool keep_alive = response_->keep_alive();
    response_.reset();
    if (!ec && keep_alive) {
      Read();
      return;
    }
    if (ec) {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    // A lingering close (RFC 9112 9.6): the client may still be sending a body this server
    // refused. Closing at once would reset the connection and could destroy the response
    // before the client (or a proxy in front) reads it; so stop sending, and read what
    // still comes, bounded, until the client closes.
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    Drain();
  }

  void Drain() {
    stream_.expires_after(kLingerTimeout);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              self->drained_ += bytes;
                              if (!ec && self->drained_ < kLingerBytes) {
                                self->Drain();
                                return;
                              }
                              self->stream_.socket().close(ec);
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<Response> response_;
  Handler* handler_;
  std::array<char, 16 * 1024> drain_buffer_;
  std::size_t drained_ = 0;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, Handler* handler) : acceptor_(io), handler_(handler) {}

  bool Bind(const tcp::endpoint& endpoint, std::string* error) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
               ec.message();
      return false;
    }
    return true;
  }

  void Accept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), self->handler_)->Read();
      self->Accept();
    });
  }

 private:
  tcp::acceptor acceptor_;
  Handler* handler_;
};

}  // namespace

bool StartServer(asio::io_context& io, const tcp::endpoint& endpoint, Handler* handler,
                 std::string* error) {
  auto listener = std::make_shared<Listener>(io, handler);
  if (!listener->Bind(endpoint, error)) return false;
  listener->Accept();
  return true;
}

}  // namespace registry
