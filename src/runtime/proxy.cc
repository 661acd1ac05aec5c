// The proxy keeps the two halves of an exchange apart: the client side is a http::Exchange
// (which owns the client's timeouts and limits), the upstream side a Beast parser and
// serializer over buffer_body on a pooled tcp_stream, so each body moves one chunk at a time.
//
// The request body is sent whole before the response head is read; an upstream that answers
// early and stops reading makes the write time out (502) rather than forwarding its answer.
#include "runtime/proxy.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "http/json_error.h"

namespace lockstep::runtime {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

class UpstreamConnection {
 public:
  explicit UpstreamConnection(net::io_context& io) : stream(io) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read past the last response; empty when reusable
};

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IStartsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && IEquals(text.substr(0, prefix.size()), prefix);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The fields that describe one connection rather than the message (RFC 9110 7.6.1), plus the
// framing, which each side of the proxy sets itself.
bool IsHopByHop(std::string_view name) {
  for (std::string_view hop : {"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding",
                               "Upgrade", "Content-Length"}) {
    if (IEquals(name, hop)) return true;
  }
  return IStartsWith(name, "Proxy-");
}

// The end-to-end fields of `headers`: without the hop-by-hop ones and those that a Connection
// field names.
std::vector<http::Headers::Field> EndToEnd(const http::Headers& headers) {
  std::vector<std::string> named;
  for (const auto& [name, value] : headers.fields()) {
    if (!IEquals(name, "Connection")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view token = Trim(rest.substr(0, comma));
      if (!token.empty()) named.emplace_back(token);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  std::vector<http::Headers::Field> kept;
  for (const auto& field : headers.fields()) {
    if (IsHopByHop(field.first)) continue;
    bool is_named = false;
    for (const std::string& token : named) is_named = is_named || IEquals(field.first, token);
    if (!is_named) kept.push_back(field);
  }
  return kept;
}

// "127.0.0.1:5123" -> "127.0.0.1", "[::1]:5123" -> "::1".
std::string PeerAddress(std::string_view peer) {
  if (peer.starts_with('[')) {
    size_t close = peer.find(']');
    if (close != std::string_view::npos) return std::string(peer.substr(1, close - 1));
  }
  size_t colon = peer.rfind(':');
  return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

// Whether an idle connection is still usable: the upstream has neither closed it nor sent
// anything unasked. Never blocks.
bool LooksAlive(UpstreamConnection& connection) {
  if (!connection.stream.socket().is_open()) return false;
  char byte;
  ssize_t n = ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

struct UpstreamPool::State : std::enable_shared_from_this<UpstreamPool::State> {
  struct Idle {
    uint64_t id = 0;
    std::unique_ptr<UpstreamConnection> connection;
    std::shared_ptr<net::steady_timer> timer;
  };

  State(net::io_context& io_context, UpstreamPoolOptions pool_options)
      : io(io_context), options(pool_options) {}

  // A live idle connection to `key`, or null.
  std::unique_ptr<UpstreamConnection> Take(const std::string& key) {
    while (true) {
      Idle idle;
      {
        std::lock_guard lock(mutex);
        auto it = connections.find(key);
        if (it == connections.end() || it->second.empty()) return nullptr;
        // The most recently used connection is the likeliest to be alive.
        idle = std::move(it->second.back());
        it->second.pop_back();
        // Stop watching it; the watchers' handlers find the entry gone and do nothing.
        idle.timer->cancel();
        boost::system::error_code ec;
        idle.connection->stream.socket().cancel(ec);
      }
      if (LooksAlive(*idle.connection)) return std::move(idle.connection);
    }
  }

  void Release(const std::string& key, std::unique_ptr<UpstreamConnection> connection) {
    if (connection->buffer.size() != 0 || !connection->stream.socket().is_open()) return;
    connection->stream.expires_never();
    auto timer = std::make_shared<net::steady_timer>(io, options.idle_timeout);
    std::weak_ptr<State> weak = weak_from_this();
    std::unique_ptr<UpstreamConnection> evicted;
    std::lock_guard lock(mutex);
    if (closed || options.max_idle_per_endpoint == 0) return;
    std::deque<Idle>& idle = connections[key];
    if (idle.size() >= options.max_idle_per_endpoint) {
      idle.front().timer->cancel();
      evicted = std::move(idle.front().connection);  // closed once the lock is released
      idle.pop_front();
    }
    uint64_t id = next_id++;
    Watch(key, id, *connection);
    timer->async_wait([timer, weak, key, id](const boost::system::error_code& ec) {
      if (ec == net::error::operation_aborted) return;
      if (auto state = weak.lock()) state->Expire(key, id, /*only_if_dead=*/false);
    });
    idle.push_back(Idle{id, std::move(connection), std::move(timer)});
  }

  // Waits for the idle connection `id` to become readable, which means closed by the upstream
  // (or sent garbage): either way, unusable. Called with the mutex held.
  void Watch(const std::string& key, uint64_t id, UpstreamConnection& connection) {
    std::weak_ptr<State> weak = weak_from_this();
    connection.stream.socket().async_wait(tcp::socket::wait_read,
                                          [weak, key, id](const boost::system::error_code& ec) {
                                            if (ec == net::error::operation_aborted)
                                              return;  // taken, or the pool is closing
                                            if (auto state = weak.lock())
                                              state->Expire(key, id, /*only_if_dead=*/true);
                                          });
  }

  // Closes the idle connection `id` of `key` if it is still in the pool. With `only_if_dead`,
  // a connection that still looks alive is watched again instead: the epoll reactor may wake a
  // wait for a readiness edge left over from reads done before the connection went idle.
  void Expire(const std::string& key, uint64_t id, bool only_if_dead) {
    std::unique_ptr<UpstreamConnection> expired;
    std::lock_guard lock(mutex);
    auto it = connections.find(key);
    if (it == connections.end()) return;
    for (auto entry = it->second.begin(); entry != it->second.end(); ++entry) {
      if (entry->id != id) continue;
      if (only_if_dead && LooksAlive(*entry->connection)) {
        Watch(key, id, *entry->connection);
        return;
      }
      entry->timer->cancel();
      expired = std::move(entry->connection);
      it->second.erase(entry);
      break;
    }
  }

  void CloseAll() {
    std::map<std::string, std::deque<Idle>> closing;
    std::lock_guard lock(mutex);
    closed = true;
    closing.swap(connections);
    for (auto& [key, idle] : closing) {
      for (Idle& entry : idle) entry.timer->cancel();
    }
  }

  net::io_context& io;
  const UpstreamPoolOptions options;
  mutable std::mutex mutex;
  std::map<std::string, std::deque<Idle>> connections;  // idle ones by "host:port"
  uint64_t next_id = 1;
  bool closed = false;
  std::atomic<uint64_t> connects{0};
  std::atomic<uint64_t> failed_connects{0};
  std::atomic<uint64_t> reuses{0};
};

UpstreamPool::UpstreamPool(net::io_context& io, UpstreamPoolOptions options)
    : state_(std::make_shared<State>(io, options)) {}

UpstreamPool::~UpstreamPool() { state_->CloseAll(); }

UpstreamPoolStats UpstreamPool::stats() const {
  UpstreamPoolStats stats;
  stats.connects = state_->connects.load();
  stats.failed_connects = state_->failed_connects.load();
  stats.reuses = state_->reuses.load();
  return stats;
}

size_t UpstreamPool::idle_connections() const {
  std::lock_guard lock(state_->mutex);
  size_t count = 0;
  for (const auto& [key, idle] : state_->connections) count += idle.size();
  return count;
}

// One proxied exchange; see Proxy.
class ProxyCall {
 public:
  ProxyCall(http::Exchange& exchange, UpstreamPool& pool, const Upstream& upstream,
            const ProxyOptions& options)
      : exchange_(exchange),
        pool_(*pool.state_),
        upstream_(upstream),
        options_(options),
        key_(upstream.host + ":" + std::to_string(upstream.port)) {}

  net::awaitable<void> Run();

 private:
  enum class Outcome {
    kDone,                // the response was forwarded (or the client went away)
    kDeadBeforeResponse,  // the connection failed before any response byte
    kBadGateway,          // 502
    kTimeout,             // 504
  };

  void BuildRequest();
  net::awaitable<Outcome> Connect(std::unique_ptr<UpstreamConnection>& connection);
  net::awaitable<Outcome> Forward(std::unique_ptr<UpstreamConnection>& connection);
  net::awaitable<Outcome> SendRequest(UpstreamConnection& connection);
  net::awaitable<void> RespondError(int status, std::string_view why);
  // Returns the connection to the pool once its response is complete and it may be reused.
  // Done before the client gets the last bytes, so that its next request finds it there.
  void ReleaseWhenDone(bhttp::response_parser<bhttp::buffer_body>& parser,
                       std::unique_ptr<UpstreamConnection>& connection);

  http::Exchange& exchange_;
  UpstreamPool::State& pool_;
  const Upstream& upstream_;
  const ProxyOptions& options_;
  const std::string key_;
  bhttp::request<bhttp::buffer_body> request_;
  bool has_body_ = false;
  bool body_consumed_ = false;  // a request body byte was read: the request cannot be replayed
  bool client_gone_ = false;
  std::string failure_ = "malformed response";  // for the log
};

void ProxyCall::BuildRequest() {
  const http::RequestHead& head = exchange_.request();
  request_.method_string(head.method);
  request_.target(upstream_.target);
  request_.version(11);
  std::string forwarded_for;
  for (const auto& [name, value] : EndToEnd(head.headers)) {
    if (IEquals(name, "X-Forwarded-For")) {
      forwarded_for += forwarded_for.empty() ? value : ", " + value;
    } else if (!IEquals(name, "X-Forwarded-Proto") && !IEquals(name, "X-Forwarded-Host") &&
               !IEquals(name, "X-Request-Id")) {
      request_.insert(name, value);
    }
  }
  std::string peer = PeerAddress(head.peer);
  forwarded_for += forwarded_for.empty() ? peer : ", " + peer;
  request_.set("X-Forwarded-For", forwarded_for);
  request_.set("X-Forwarded-Proto", options_.client_scheme);
  if (auto host = head.headers.Find("Host")) {
    request_.set("X-Forwarded-Host", std::string(*host));
  } else {
    request_.set(bhttp::field::host, key_);
  }
  request_.set("X-Request-Id", head.request_id);
  if (head.content_length) {
    request_.content_length(*head.content_length);
    has_body_ = *head.content_length > 0;
  } else if (head.chunked) {
    request_.chunked(true);
    has_body_ = true;
  }
  request_.keep_alive(true);
}

net::awaitable<ProxyCall::Outcome> ProxyCall::Connect(
    std::unique_ptr<UpstreamConnection>& connection) {
  auto fresh = std::make_unique<UpstreamConnection>(pool_.io);
  boost::system::error_code ec;
  std::vector<tcp::endpoint> endpoints;
  net::ip::address address = net::ip::make_address(upstream_.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, upstream_.port);
  } else {
    tcp::resolver resolver(pool_.io);
    std::string service = std::to_string(upstream_.port);
    auto results = co_await resolver.async_resolve(upstream_.host, service,
                                                   net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return Outcome::kBadGateway;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  pool_.connects++;
  fresh->stream.expires_after(options_.connect_timeout);
  co_await fresh->stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) pool_.failed_connects++;
  if (ec == beast::error::timeout) co_return Outcome::kTimeout;
  if (ec) co_return Outcome::kDeadBeforeResponse;
  fresh->stream.socket().set_option(tcp::no_delay(true), ec);
  connection = std::move(fresh);
  co_return Outcome::kDone;
}

net::awaitable<ProxyCall::Outcome> ProxyCall::SendRequest(UpstreamConnection& connection) {
  bhttp::request_serializer<bhttp::buffer_body> serializer(request_);
  auto& body = request_.body();
  boost::system::error_code ec;
  connection.stream.expires_after(options_.body_timeout);
  if (!has_body_) {
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    co_await bhttp::async_write(connection.stream, serializer,
                                net::redirect_error(net::use_awaitable, ec));
    co_return ec ? Outcome::kDeadBeforeResponse : Outcome::kDone;
  }
  co_await bhttp::async_write_header(connection.stream, serializer,
                                     net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return Outcome::kDeadBeforeResponse;
  while (true) {
    Result<std::string_view> chunk = co_await exchange_.ReadBodyChunk(options_.chunk_bytes);
    if (!chunk) {
      client_gone_ = true;  // the server answers the client (413, 400) or closes
      co_return Outcome::kDone;
    }
    if (chunk->empty()) break;
    body_consumed_ = true;
    body.data = const_cast<char*>(chunk->data());  // Beast's buffer_body is not const-correct
    body.size = chunk->size();
    body.more = true;
    connection.stream.expires_after(options_.body_timeout);
    co_await bhttp::async_write(connection.stream, serializer,
                                net::redirect_error(net::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return Outcome::kDeadBeforeResponse;
  }
  body.data = nullptr;
  body.size = 0;
  body.more = false;
  connection.stream.expires_after(options_.body_timeout);
  co_await bhttp::async_write(connection.stream, serializer,
                              net::redirect_error(net::use_awaitable, ec));
  co_return ec ? Outcome::kDeadBeforeResponse : Outcome::kDone;
}

net::awaitable<ProxyCall::Outcome> ProxyCall::Forward(
    std::unique_ptr<UpstreamConnection>& connection) {
  Outcome sent = co_await SendRequest(*connection);
  if (sent != Outcome::kDone || client_gone_) co_return sent;

  const bool head_request = exchange_.request().method == "HEAD";
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
  boost::system::error_code ec;
  connection->stream.expires_after(options_.response_header_timeout);
  while (true) {
    parser.emplace();
    // No limit: the body streams through. (Beast 1.74 compares a Content-Length with
    // boost::none as if it were over the limit, so the largest value stands for none.)
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head_request) parser->skip(true);
    co_await bhttp::async_read_header(connection->stream, connection->buffer, *parser,
                                      net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    int status = static_cast<int>(parser->get().result_int());
    if (status >= 200 || status == 101) break;  // an interim 1xx: wait for the final head
  }
  if (ec == beast::error::timeout) co_return Outcome::kTimeout;
  if (ec == bhttp::error::end_of_stream ||
      (!parser->got_some() && connection->buffer.size() == 0 &&
       (ec == net::error::connection_reset || ec == net::error::eof))) {
    co_return Outcome::kDeadBeforeResponse;
  }
  if (ec) {
    failure_ = ec.message();
    co_return Outcome::kBadGateway;
  }
  bhttp::response<bhttp::buffer_body>& response = parser->get();
  if (response.result_int() == 101) co_return Outcome::kBadGateway;  // no upgrades

  http::ResponseHead head;
  head.status = static_cast<int>(response.result_int());
  http::Headers upstream_headers;
  for (const auto& field : response) {
    upstream_headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  for (auto& [name, value] : EndToEnd(upstream_headers)) head.headers.Add(name, value);
  if (auto length = parser->content_length(); length && !parser->chunked()) {
    head.content_length = *length;
  }
  ReleaseWhenDone(*parser, connection);  // no body (HEAD, 204, 304, an empty one)

  // A small body of known length is read whole and sent with the head in one write: most
  // API answers are small, and one write instead of two is much of a proxy's cost.
  constexpr uint64_t kWholeBodyLimit = 64 * 1024;
  if (!head_request && head.status != 204 && head.status != 304 && head.content_length &&
      *head.content_length <= kWholeBodyLimit && !parser->is_done()) {
    std::string whole(static_cast<size_t>(*head.content_length), '\0');
    auto& small = response.body();
    small.data = whole.data();
    small.size = whole.size();
    while (!parser->is_done()) {
      connection->stream.expires_after(options_.body_timeout);
      co_await bhttp::async_read_some(connection->stream, connection->buffer, *parser,
                                      net::redirect_error(net::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        failure_ = ec.message();
        co_return Outcome::kBadGateway;  // nothing was sent to the client yet
      }
    }
    ReleaseWhenDone(*parser, connection);
    http::Response whole_response{
        .status = head.status, .headers = std::move(head.headers), .body = std::move(whole)};
    Result<void> answered = co_await exchange_.Respond(std::move(whole_response));
    if (!answered) client_gone_ = true;
    co_return Outcome::kDone;
  }

  Result<void> written = co_await exchange_.WriteHead(std::move(head));
  if (!written) {
    client_gone_ = true;
    co_return Outcome::kDone;
  }

  // Not zero-filled: every byte sent is one the upstream wrote into it.
  std::unique_ptr<char[]> buffer(new char[options_.chunk_bytes]);
  auto& body = response.body();
  while (!parser->is_done()) {
    body.data = buffer.get();
    body.size = options_.chunk_bytes;
    connection->stream.expires_after(options_.body_timeout);
    co_await bhttp::async_read_some(connection->stream, connection->buffer, *parser,
                                    net::redirect_error(net::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    size_t got = options_.chunk_bytes - body.size;
    if (!ec) ReleaseWhenDone(*parser, connection);
    if (got > 0) {
      std::string_view bytes(buffer.get(), got);
      Result<void> chunk_written = co_await exchange_.WriteBodyChunk(bytes);
      if (!chunk_written) {
        client_gone_ = true;
        co_return Outcome::kDone;
      }
    }
    if (ec) {
      // The head is out: only closing the client connection tells the client the body is cut.
      spdlog::warn("request {}: service {}: the upstream broke off its response: {}",
                   exchange_.request().request_id, upstream_.service, ec.message());
      connection.reset();
      throw std::runtime_error("the upstream broke off its response");
    }
  }
  Result<void> finished = co_await exchange_.FinishBody();
  if (!finished) {
    client_gone_ = true;
    co_return Outcome::kDone;
  }
  co_return Outcome::kDone;
}

void ProxyCall::ReleaseWhenDone(bhttp::response_parser<bhttp::buffer_body>& parser,
                                std::unique_ptr<UpstreamConnection>& connection) {
  if (parser.is_done() && parser.get().keep_alive() && connection) {
    pool_.Release(key_, std::move(connection));
  }
}

net::awaitable<void> ProxyCall::RespondError(int status, std::string_view why) {
  const http::RequestHead& head = exchange_.request();
  spdlog::warn("request {}: service {}: upstream {}: {}", head.request_id, upstream_.service, key_,
               why);
  if (exchange_.head_sent()) co_return;
  http::Response response =
      http::JsonErrorResponse(status, http::StatusMessage(status), head.request_id);
  (void)co_await exchange_.Respond(std::move(response));
}

net::awaitable<void> ProxyCall::Run() {
  BuildRequest();
  const bool idempotent = IsIdempotent(exchange_.request().method);
  for (int attempt = 0; attempt < 2; ++attempt) {
    // A retry always gets a fresh connection: a second pooled one may be as stale as the first.
    std::unique_ptr<UpstreamConnection> connection;
    if (attempt == 0) connection = pool_.Take(key_);
    const bool reused = connection != nullptr;
    if (reused) pool_.reuses++;
    if (!reused) {
      Outcome connected = co_await Connect(connection);
      if (connected == Outcome::kTimeout) {
        co_await RespondError(504, "connect timed out");
        co_return;
      }
      if (connected != Outcome::kDone) {
        if (idempotent && attempt == 0) continue;
        co_await RespondError(502, "cannot connect");
        co_return;
      }
    }
    Outcome outcome = co_await Forward(connection);
    // A connection still held here is not reusable (the pool took the good ones): closed now.
    connection.reset();
    if (client_gone_ || outcome == Outcome::kDone) co_return;
    if (outcome == Outcome::kTimeout) {
      co_await RespondError(504, "no response head in time");
      co_return;
    }
    bool replayable = idempotent && !body_consumed_ && attempt == 0;
    if (outcome == Outcome::kDeadBeforeResponse && reused && replayable) continue;
    std::string_view why = outcome == Outcome::kDeadBeforeResponse
                               ? "the connection closed before a response"
                               : std::string_view(failure_);
    co_await RespondError(502, why);
    co_return;
  }
  co_await RespondError(502, "cannot connect");
}

net::awaitable<void> Proxy(http::Exchange& exchange, UpstreamPool& pool, const Upstream& upstream,
                           const ProxyOptions& options) {
  ProxyCall call(exchange, pool, upstream, options);
  co_await call.Run();
}

net::awaitable<void> RespondNoHealthyHandler(http::Exchange& exchange, std::string_view service) {
  const std::string& request_id = exchange.request().request_id;
  spdlog::warn("request {}: service {} has no healthy handler", request_id, service);
  http::Response response = http::JsonErrorResponse(503, http::StatusMessage(503), request_id);
  (void)co_await exchange.Respond(std::move(response));
}

}  // namespace lockstep::runtime
