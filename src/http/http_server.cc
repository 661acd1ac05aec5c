// The listener side of HttpServer: binding, the accept loop, and bounded graceful shutdown.
#include "http/http_server.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "http/server_state.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// After a failed accept that is not a shutdown (EMFILE, ENFILE, ENOBUFS), the loop waits this
// long before trying again, so that it does not spin while the process is out of descriptors.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

Endpoint ToEndpoint(const tcp::endpoint& endpoint) {
  return Endpoint{endpoint.address().to_string(), endpoint.port()};
}

net::awaitable<void> AcceptLoop(std::shared_ptr<HttpServer::State> state, tcp::acceptor& acceptor) {
  while (true) {
    tcp::socket socket(net::make_strand(state->io));
    boost::system::error_code ec;
    co_await acceptor.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      net::steady_timer backoff(state->control, kAcceptBackoff);
      co_await backoff.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    StartConnection(state, std::move(socket));
  }
}

}  // namespace

std::string Endpoint::ToString() const {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

Result<Endpoint> ParseEndpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not ADDR:PORT: the port is missing", text));
  }
  std::string_view address = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  } else if (address.find(':') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not ADDR:PORT: write an IPv6 address in brackets", text));
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("'{}' is not ADDR:PORT: '{}' is not a port (0 to 65535)", text, port_text));
  }
  boost::system::error_code address_ec;
  net::ip::make_address(std::string(address), address_ec);
  if (address.empty() || address_ec) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("'{}' is not ADDR:PORT: '{}' is not a numeric IP address", text, address));
  }
  return Endpoint{std::string(address), static_cast<uint16_t>(port)};
}

uint64_t HttpServer::State::Register(std::weak_ptr<Connection> connection) {
  std::lock_guard lock(mutex);
  if (is_stopping) return 0;
  uint64_t id = next_connection_id++;
  connections.emplace(id, std::move(connection));
  return id;
}

void HttpServer::State::Unregister(uint64_t id) {
  {
    std::lock_guard lock(mutex);
    connections.erase(id);
  }
  MaybeFinish();
}

bool HttpServer::State::stopping() const {
  std::lock_guard lock(mutex);
  return is_stopping;
}

void HttpServer::State::BeginStop(std::chrono::milliseconds grace, std::function<void()> callback) {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mutex);
    if (finished) {
      if (callback) net::post(io, std::move(callback));
      return;
    }
    if (callback) on_stopped.push_back(std::move(callback));
    if (is_stopping) return;
    is_stopping = true;
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  net::post(control, [self = shared_from_this(), grace] {
    {
      std::lock_guard lock(self->mutex);
      for (auto& acceptor : self->acceptors) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
      }
      if (self->finished) return;
    }
    self->stop_timer = std::make_unique<net::steady_timer>(self->control, grace);
    self->stop_timer->async_wait([self](boost::system::error_code ec) {
      if (!ec) self->ForceCloseAll();
    });
    self->MaybeFinish();
  });
  for (auto& connection : live) connection->PostStop();
}

void HttpServer::State::MaybeFinish() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex);
    if (!is_stopping || finished || !connections.empty()) return;
    finished = true;
    callbacks.swap(on_stopped);
  }
  net::post(control, [self = shared_from_this()] {
    if (self->stop_timer) self->stop_timer->cancel();
  });
  for (auto& callback : callbacks) net::post(io, std::move(callback));
}

void HttpServer::State::ForceCloseAll() {
  std::vector<std::shared_ptr<Connection>> live;
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex);
    if (finished) return;
    finished = true;
    callbacks.swap(on_stopped);
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) connection->PostForceClose();
  for (auto& callback : callbacks) net::post(io, std::move(callback));
}

HttpServer::HttpServer(net::io_context& io, ServerOptions options, StreamHandler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Result<void> HttpServer::Listen(const Endpoint& endpoint) {
  boost::system::error_code ec;
  net::ip::address address = net::ip::make_address(endpoint.address, ec);
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a numeric IP address", endpoint.address));
  }
  auto acceptor = std::make_unique<tcp::acceptor>(state_->control);
  tcp::endpoint bind_to(address, endpoint.port);
  auto failed = [&](std::string_view what) -> Result<void> {
    ErrorCode code =
        ec == net::error::address_in_use ? ErrorCode::kAlreadyExists : ErrorCode::kIoError;
    return Fail(code, fmt::format("cannot {} {}: {}", what, endpoint.ToString(), ec.message()));
  };
  if (acceptor->open(bind_to.protocol(), ec)) return failed("open a socket for");
  if (acceptor->set_option(net::socket_base::reuse_address(true), ec)) return failed("configure");
  if (acceptor->bind(bind_to, ec)) return failed("listen on");
  if (acceptor->listen(net::socket_base::max_listen_connections, ec)) return failed("listen on");
  Endpoint bound = ToEndpoint(acceptor->local_endpoint(ec));
  if (ec) return failed("read the address of");

  tcp::acceptor* raw = acceptor.get();
  {
    std::lock_guard lock(state_->mutex);
    if (state_->is_stopping) {
      return Fail(ErrorCode::kCancelled, "the server is stopping");
    }
    state_->acceptors.push_back(std::move(acceptor));
    state_->endpoints.push_back(bound);
  }
  // The acceptor lives in state_ until the state goes, which the loop's shared_ptr delays.
  net::co_spawn(state_->control, AcceptLoop(state_, *raw), net::detached);
  return {};
}

std::vector<Endpoint> HttpServer::local_endpoints() const {
  std::lock_guard lock(state_->mutex);
  return state_->endpoints;
}

Endpoint HttpServer::local_endpoint() const {
  std::lock_guard lock(state_->mutex);
  return state_->endpoints.empty() ? Endpoint{} : state_->endpoints.front();
}

void HttpServer::Stop(std::chrono::milliseconds grace, std::function<void()> on_stopped) {
  state_->BeginStop(grace, std::move(on_stopped));
}

size_t HttpServer::active_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

}  // namespace lockstep::http
