// The connection side of HttpServer: one coroutine per connection that reads request heads,
// hands each exchange to the handler, and enforces the limits and timeouts (see http_server.h).
//
// Reads go through a Beast request_parser with a buffer_body, so a body is never held whole:
// each ReadBodyChunk points the parser at the caller's buffer for one read. Responses go through
// a response_serializer with a buffer_body the same way. beast::tcp_stream enforces the
// timeouts: an expired operation closes the socket, which is why a timeout drops the connection
// instead of answering 408.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <string>

#include "http/exchange.h"
#include "http/json_error.h"
#include "http/request_id.h"
#include "http/server_state.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kFirstReadBytes = 4096;
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 1 << 20;

std::string FormatPeer(const tcp::socket& socket) {
  boost::system::error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return Endpoint{endpoint.address().to_string(), endpoint.port()}.ToString();
}

bool IEquals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()),
                        beast::string_view(b.data(), b.size()));
}

// Fields the server sets itself on every response.
bool IsServerField(std::string_view name) {
  auto same = [&](std::string_view other) { return IEquals(name, other); };
  return same("Content-Length") || same("Transfer-Encoding") || same("Connection") ||
         same("Keep-Alive") || same("X-Request-Id");
}

bool HasNoBody(std::string_view method, int status) {
  return method == "HEAD" || (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Whether `ec` is the parser rejecting the request (bad method, target, version, field,
// Content-Length, chunk), as opposed to the connection ending or timing out.
bool IsParseError(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_buffer;
}

// Maps a failed read of a request head to the status to answer, or 0 to just close.
int StatusForHeadError(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  return IsParseError(ec) ? 400 : 0;
}

class Session;

class SessionExchange final : public Exchange {
 public:
  explicit SessionExchange(Session& session) : session_(session) {}

  const RequestHead& request() const override { return head_; }
  net::awaitable<Result<std::string_view>> ReadBodyChunk(size_t max_bytes) override;
  bool body_complete() const override;
  net::awaitable<Result<void>> WriteHead(ResponseHead head) override;
  net::awaitable<Result<void>> WriteBodyChunk(std::string_view bytes) override;
  net::awaitable<Result<void>> FinishBody() override;
  net::awaitable<Result<void>> Respond(Response response) override;
  bool head_sent() const override { return head_sent_; }

  // Reads a request head, runs the handler, completes the response. Returns whether the
  // connection may carry another request.
  net::awaitable<bool> Serve();

 private:
  Result<void> PrepareHead(int status, Headers headers, std::optional<uint64_t> content_length);
  net::awaitable<Result<void>> WriteSerializer(bool header_only);
  net::awaitable<void> SendError(int status);
  // Marks the exchange broken after a failed read or write; `status` is the answer the server
  // owes the client (0: none, the connection just closes).
  void Break(int status);
  void Log();

  Session& session_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  RequestHead head_;
  bool request_keep_alive_ = false;
  bool expect_continue_ = false;
  std::string body_buffer_;

  std::optional<bhttp::response<bhttp::buffer_body>> response_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer_;
  bool head_sent_ = false;
  bool body_finished_ = false;
  bool no_body_ = false;
  bool response_keep_alive_ = false;
  std::optional<uint64_t> declared_length_;
  int status_ = 0;

  bool broken_ = false;
  int owed_status_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
  Clock::time_point started_;
};

class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::State> state, tcp::socket socket)
      : state_(std::move(state)), peer_(FormatPeer(socket)), stream_(std::move(socket)) {}
  ~Session() override {
    if (id_ != 0) state_->Unregister(id_);
  }

  void set_id(uint64_t id) { id_ = id; }
  beast::tcp_stream::executor_type executor() { return stream_.get_executor(); }

  void PostStop() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->stream_.close();
    });
  }
  void PostForceClose() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }

  net::awaitable<void> Run(std::shared_ptr<Session> self);

 private:
  friend class SessionExchange;

  std::shared_ptr<HttpServer::State> state_;
  const std::string peer_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  uint64_t id_ = 0;
  bool idle_ = false;     // waiting for the first byte of a request
  bool lingers_ = false;  // the server answered an error: drain before closing
};

net::awaitable<void> Session::Run(std::shared_ptr<Session> self) {
  (void)self;  // held by the coroutine frame: the session lives as long as it runs
  boost::system::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  while (!state_->stopping()) {
    if (buffer_.size() == 0) {
      // Wait for the first byte under the idle timeout; the head then has header_timeout.
      idle_ = true;
      stream_.expires_after(state_->options.idle_timeout);
      size_t n = co_await stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                                                  net::redirect_error(net::use_awaitable, ec));
      idle_ = false;
      if (ec) break;
      buffer_.commit(n);
    }
    SessionExchange exchange(*this);
    if (!co_await exchange.Serve()) break;
  }
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (lingers_ && !ec) {
    // After an error answer the client may still be sending (a body over the limit). Closing
    // with unread data makes the kernel send a reset, which can destroy the answer before the
    // client reads it; so read and discard for a bounded time and amount first.
    std::array<char, 16 * 1024> scratch;
    size_t drained = 0;
    stream_.expires_after(kLingerTime);
    while (drained < kLingerBytes) {
      drained += co_await stream_.async_read_some(net::buffer(scratch),
                                                  net::redirect_error(net::use_awaitable, ec));
      if (ec) break;
    }
  }
  stream_.close();
}

net::awaitable<bool> SessionExchange::Serve() {
  const ServerOptions& options = session_.state_->options;
  parser_.emplace();
  parser_->header_limit(options.max_header_bytes);
  parser_->body_limit(options.max_body_bytes);
  boost::system::error_code ec;
  session_.stream_.expires_after(options.header_timeout);
  co_await bhttp::async_read_header(session_.stream_, session_.buffer_, *parser_,
                                    net::redirect_error(net::use_awaitable, ec));
  started_ = Clock::now();
  head_.peer = session_.peer_;
  if (ec) {
    int status = StatusForHeadError(ec);
    if (status == 0) co_return false;
    head_.request_id = NewRequestId();
    co_await SendError(status);
    Log();
    co_return false;
  }

  bhttp::request<bhttp::buffer_body>& request = parser_->get();
  head_.method = std::string(request.method_string());
  head_.target = std::string(request.target());
  head_.version = static_cast<int>(request.version());
  for (const auto& field : request) {
    head_.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  head_.chunked = parser_->chunked();
  if (auto length = parser_->content_length(); length && !head_.chunked) {
    head_.content_length = *length;
  }
  head_.request_id = RequestIdFor(head_.headers.Find("X-Request-Id").value_or(""));
  head_.headers.Set("X-Request-Id", head_.request_id);
  if (auto expect = head_.headers.Find("Expect"); expect && IEquals(*expect, "100-continue")) {
    expect_continue_ = head_.version >= 11;
    head_.headers.Remove("Expect");
  }
  request_keep_alive_ = request.keep_alive();

  bool threw = false;
  try {
    co_await session_.state_->handler(*this);
  } catch (const std::exception& e) {
    spdlog::error("request {}: the handler failed: {}", head_.request_id, e.what());
    threw = true;
  } catch (...) {
    spdlog::error("request {}: the handler failed with an unknown exception", head_.request_id);
    threw = true;
  }

  if (!head_sent_) {
    if (broken_) {
      if (owed_status_ != 0 && session_.stream_.socket().is_open())
        co_await SendError(owed_status_);
    } else {
      if (!threw) spdlog::error("request {}: the handler sent no response", head_.request_id);
      co_await SendError(500);
    }
  } else if (threw) {
    broken_ = true;  // the response is cut short; only closing tells the client
  } else if (!body_finished_ && !broken_) {
    (void)co_await FinishBody();
  }
  Log();
  // A response that has no body on the wire (HEAD, 204, 304) owes none of its declared
  // length: the connection stays usable without the handler pretending to send it.
  co_return !broken_ && response_keep_alive_ && body_finished_ && parser_->is_done() &&
      (no_body_ || !declared_length_ || *declared_length_ == bytes_sent_);
}

void SessionExchange::Break(int status) {
  broken_ = true;
  if (owed_status_ == 0) owed_status_ = status;
}

bool SessionExchange::body_complete() const { return parser_->is_done(); }

net::awaitable<Result<std::string_view>> SessionExchange::ReadBodyChunk(size_t max_bytes) {
  if (broken_) co_return Fail(ErrorCode::kCancelled, "the exchange is broken");
  if (parser_->is_done() || max_bytes == 0) co_return std::string_view();
  boost::system::error_code ec;
  if (expect_continue_) {
    expect_continue_ = false;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    session_.stream_.expires_after(session_.state_->options.write_timeout);
    co_await net::async_write(session_.stream_, net::buffer(kContinue.data(), kContinue.size()),
                              net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      Break(0);
      co_return Fail(ErrorCode::kCancelled, "the client is gone");
    }
  }
  if (body_buffer_.size() < max_bytes) body_buffer_.resize(max_bytes);
  auto& body = parser_->get().body();
  size_t got = 0;
  // One read may parse only framing (a chunk header); read until bytes arrive or the body ends.
  while (got == 0 && !parser_->is_done()) {
    body.data = body_buffer_.data();
    body.size = max_bytes;
    session_.stream_.expires_after(session_.state_->options.body_timeout);
    co_await bhttp::async_read_some(session_.stream_, session_.buffer_, *parser_,
                                    net::redirect_error(net::use_awaitable, ec));
    got = max_bytes - body.size;
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      if (ec == bhttp::error::body_limit) {
        Break(413);
        co_return Fail(ErrorCode::kInvalidArgument, "the request body is too large");
      }
      bool parse_error = IsParseError(ec);
      Break(parse_error ? 400 : 0);
      if (parse_error) co_return Fail(ErrorCode::kInvalidArgument, "the request body is malformed");
      co_return Fail(ErrorCode::kCancelled, "the client stopped sending the request body");
    }
  }
  bytes_received_ += got;
  co_return std::string_view(body_buffer_.data(), got);
}

Result<void> SessionExchange::PrepareHead(int status, Headers headers,
                                          std::optional<uint64_t> content_length) {
  if (head_sent_) return Fail(ErrorCode::kInternal, "the response head was sent already");
  if (broken_) return Fail(ErrorCode::kCancelled, "the exchange is broken");
  if (status < 100 || status > 999) status = 500;
  status_ = status;
  head_sent_ = true;
  no_body_ = HasNoBody(head_.method, status);
  declared_length_ = content_length;

  response_.emplace();
  bhttp::response<bhttp::buffer_body>& response = *response_;
  response.result(static_cast<unsigned>(status));
  response.version(head_.version >= 11 ? 11 : 10);
  for (auto& [name, value] : headers.fields()) {
    if (!IsServerField(name)) response.insert(name, value);
  }
  response.set("X-Request-Id", head_.request_id);
  response_keep_alive_ = request_keep_alive_ && !session_.state_->stopping() &&
                         parser_->is_done() && owed_status_ == 0;
  if (content_length) {
    if (status != 204 && !(status >= 100 && status < 200)) response.content_length(*content_length);
  } else if (!no_body_) {
    if (response.version() >= 11) {
      response.chunked(true);
    } else {
      response_keep_alive_ = false;  // an HTTP/1.0 body of unknown length ends with the connection
    }
  }
  response.keep_alive(response_keep_alive_);
  serializer_.emplace(response);
  return {};
}

net::awaitable<Result<void>> SessionExchange::WriteSerializer(bool header_only) {
  boost::system::error_code ec;
  session_.stream_.expires_after(session_.state_->options.write_timeout);
  if (header_only) {
    co_await bhttp::async_write_header(session_.stream_, *serializer_,
                                       net::redirect_error(net::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(session_.stream_, *serializer_,
                                net::redirect_error(net::use_awaitable, ec));
  }
  if (ec == bhttp::error::need_buffer) ec = {};
  if (ec) {
    Break(0);
    co_return Fail(ErrorCode::kCancelled, "the client is gone or does not read");
  }
  co_return Result<void>();
}

net::awaitable<Result<void>> SessionExchange::WriteHead(ResponseHead head) {
  Result<void> prepared = PrepareHead(head.status, std::move(head.headers), head.content_length);
  if (!prepared) co_return prepared;
  co_return co_await WriteSerializer(/*header_only=*/true);
}

net::awaitable<Result<void>> SessionExchange::WriteBodyChunk(std::string_view bytes) {
  if (!head_sent_) co_return Fail(ErrorCode::kInternal, "no response head was sent");
  if (broken_) co_return Fail(ErrorCode::kCancelled, "the exchange is broken");
  if (body_finished_) co_return Fail(ErrorCode::kInternal, "the response body was finished");
  if (bytes.empty()) co_return Result<void>();
  if (declared_length_ && bytes_sent_ + bytes.size() > *declared_length_) {
    Break(0);
    co_return Fail(ErrorCode::kInvalidArgument, "the body is longer than its Content-Length");
  }
  bytes_sent_ += bytes.size();
  if (no_body_) co_return Result<void>();
  auto& body = response_->body();
  body.data = const_cast<char*>(bytes.data());  // Beast's buffer_body is not const-correct
  body.size = bytes.size();
  body.more = true;
  co_return co_await WriteSerializer(/*header_only=*/false);
}

net::awaitable<Result<void>> SessionExchange::FinishBody() {
  if (!head_sent_) co_return Fail(ErrorCode::kInternal, "no response head was sent");
  if (broken_) co_return Fail(ErrorCode::kCancelled, "the exchange is broken");
  if (body_finished_) co_return Result<void>();
  body_finished_ = true;
  if (no_body_) co_return Result<void>();
  auto& body = response_->body();
  body.data = nullptr;
  body.size = 0;
  body.more = false;
  co_return co_await WriteSerializer(/*header_only=*/false);
}

net::awaitable<Result<void>> SessionExchange::Respond(Response response) {
  Result<void> prepared =
      PrepareHead(response.status, std::move(response.headers), response.body.size());
  if (!prepared) co_return prepared;
  body_finished_ = true;
  bytes_sent_ = response.body.size();
  if (no_body_) co_return co_await WriteSerializer(/*header_only=*/true);
  // Head and body leave in one write.
  auto& body = response_->body();
  body.data = response.body.data();
  body.size = response.body.size();
  body.more = false;
  co_return co_await WriteSerializer(/*header_only=*/false);
}

net::awaitable<void> SessionExchange::SendError(int status) {
  session_.lingers_ = true;
  // The error is owed whatever broke the exchange; clear the mark so that Respond may send it.
  broken_ = false;
  owed_status_ = status;
  (void)co_await Respond(JsonErrorResponse(status, StatusMessage(status), head_.request_id));
  broken_ = true;  // the connection closes after a server error
}

void SessionExchange::Log() {
  const auto& log = session_.state_->options.access_log;
  if (!log) return;
  AccessLogEntry entry;
  entry.method = head_.method;
  entry.target = head_.target;
  entry.status = status_;
  entry.bytes_received = bytes_received_;
  entry.bytes_sent = bytes_sent_;
  entry.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
  entry.request_id = head_.request_id;
  entry.peer = head_.peer;
  log(entry);
}

}  // namespace

void StartConnection(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
  auto session = std::make_shared<Session>(state, std::move(socket));
  uint64_t id = state->Register(session);
  if (id == 0) return;  // stopping: the socket closes with the session
  session->set_id(id);
  auto executor = session->executor();
  net::co_spawn(executor, session->Run(session), net::detached);
}

}  // namespace lockstep::http
