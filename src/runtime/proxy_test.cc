#include "runtime/proxy.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "background_process.h"
#include "http/http_server.h"
#include "notification.h"

namespace lockstep::runtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using StringResponse = bhttp::response<bhttp::string_body>;
using StringRequest = bhttp::request<bhttp::string_body>;

constexpr milliseconds kWait{10'000};  // the longest any test waits for an event

using testing::Notification;

// Polls `condition` until it holds or kWait has passed.
bool WaitUntil(const std::function<bool()>& condition) {
  return testing::WaitUntil(condition, kWait);
}

void SetReceiveTimeout(tcp::socket& socket) {
  timeval timeout{static_cast<time_t>(kWait.count() / 1000), 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

// The large test body: bytes that repeat only every 251.
const std::string& Pattern() {
  static const std::string pattern = [] {
    std::string bytes(20 << 20, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 31 + 7) % 251);
    return bytes;
  }();
  return pattern;
}

// A blocking client; reads give up after kWait.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    SetReceiveTimeout(socket_);
  }

  StringResponse Send(StringRequest request, uint64_t body_limit = 1 << 20) {
    request.prepare_payload();
    bhttp::write(socket_, request);
    return Read(body_limit);
  }

  StringResponse Read(uint64_t body_limit = 1 << 20) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(body_limit);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  tcp::socket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

StringRequest MakeRequest(bhttp::verb verb, std::string target) {
  StringRequest request(verb, target, 11);
  request.set(bhttp::field::host, "gateway.test");
  return request;
}

// An upstream written with raw sockets, for behaviour HttpServer would not show: it accepts
// connections one after another on its own thread and runs `script` on each.
class RawUpstream {
 public:
  using Script = std::function<void(tcp::socket&, int index)>;

  RawUpstream(int connections, Script script) : acceptor_(io_, {tcp::v4(), 0}) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections, script = std::move(script)] {
      for (int i = 0; i < connections; ++i) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec) return;
        SetReceiveTimeout(socket);
        accepted_++;
        script(socket, i);
      }
    });
  }
  ~RawUpstream() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

  // Reads one request head (no body); false when the peer closed or the read timed out.
  static bool ReadHead(tcp::socket& socket, std::string& buffer) {
    boost::system::error_code ec;
    size_t n = net::read_until(socket, net::dynamic_buffer(buffer), "\r\n\r\n", ec);
    if (ec) return false;
    buffer.erase(0, n);
    return true;
  }
  static void Write(tcp::socket& socket, std::string_view bytes) {
    boost::system::error_code ec;
    net::write(socket, net::buffer(bytes.data(), bytes.size()), ec);
  }
  // Waits until the peer closes (or the read times out).
  static void WaitForClose(tcp::socket& socket) {
    std::array<char, 256> scratch;
    boost::system::error_code ec;
    while (!ec) socket.read_some(net::buffer(scratch), ec);
  }

 private:
  net::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A port nothing listens on: bound once, then released.
uint16_t ClosedPort() {
  net::io_context io;
  tcp::acceptor acceptor(io, {tcp::v4(), 0});
  return acceptor.local_endpoint().port();
}

class ProxyTest : public ::testing::Test {
 protected:
  ProxyTest() : work_(net::make_work_guard(io_)), pool_(std::make_unique<UpstreamPool>(io_)) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    for (auto* server : {gateway_.get(), upstream_.get()}) {
      if (!server) continue;
      Notification stopped;
      server->Stop(milliseconds(2000), [&] { stopped.Notify(); });
      EXPECT_TRUE(stopped.WaitFor(kWait));
    }
    pool_.reset();
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    gateway_.reset();
    upstream_.reset();
  }

  // Starts an upstream HttpServer with `handler`; its access log records the peers.
  uint16_t StartUpstream(http::StreamHandler handler) {
    http::ServerOptions options;
    options.access_log = [this](const http::AccessLogEntry& entry) {
      std::lock_guard lock(mutex_);
      upstream_log_.push_back(entry);
    };
    upstream_ = std::make_unique<http::HttpServer>(io_, options, std::move(handler));
    EXPECT_TRUE(upstream_->Listen({"127.0.0.1", 0}).has_value());
    return upstream_->local_endpoint().port;
  }

  // Starts the gateway, proxying everything to 127.0.0.1:`port` as `target`.
  void StartGateway(uint16_t port, std::string target = "/upstream",
                    http::ServerOptions server_options = {}) {
    upstream_target_ = {"127.0.0.1", port, std::move(target), "app"};
    http::StreamHandler handler = [this](http::Exchange& exchange) -> net::awaitable<void> {
      co_await Proxy(exchange, *pool_, upstream_target_, proxy_options_);
    };
    gateway_ = std::make_unique<http::HttpServer>(io_, server_options, std::move(handler));
    ASSERT_TRUE(gateway_->Listen({"127.0.0.1", 0}).has_value());
    gateway_port_ = gateway_->local_endpoint().port;
  }

  std::vector<http::AccessLogEntry> UpstreamLogOf(size_t count) {
    EXPECT_TRUE(WaitUntil([&] {
      std::lock_guard lock(mutex_);
      return upstream_log_.size() >= count;
    }));
    std::lock_guard lock(mutex_);
    return upstream_log_;
  }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<UpstreamPool> pool_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<http::HttpServer> gateway_;
  Upstream upstream_target_;
  ProxyOptions proxy_options_;
  uint16_t gateway_port_ = 0;
  std::mutex mutex_;
  std::vector<http::AccessLogEntry> upstream_log_;
};

// Answers with what it saw: method, target, body and every header, as JSON.
http::StreamHandler EchoJson() {
  return http::MakeSimpleHandler([](const http::Request& request) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : request.head.headers.fields()) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers[lower] = value;
    }
    nlohmann::json seen = {{"method", request.head.method},
                           {"target", request.head.target},
                           {"body", request.body},
                           {"headers", headers}};
    http::Response response;
    response.headers.Set("Content-Type", "application/json");
    response.headers.Set("X-Upstream", "yes");
    response.headers.Set("Proxy-Authenticate", "Basic");
    response.headers.Set("Upgrade", "h2c");
    response.body = seen.dump();
    return response;
  });
}

TEST_F(ProxyTest, ForwardsAGetToTheGivenTarget) {
  StartGateway(StartUpstream(EchoJson()), "/rewritten?x=1");
  Client client(gateway_port_);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/api/anything"));
  ASSERT_EQ(response.result_int(), 200u);
  nlohmann::json seen = nlohmann::json::parse(response.body());
  EXPECT_EQ(seen["method"], "GET");
  EXPECT_EQ(seen["target"], "/rewritten?x=1");
  EXPECT_EQ(seen["body"], "");
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
}

TEST_F(ProxyTest, ForwardsAHeadWithTheUpstreamsLengthAndNoBody) {
  StartGateway(StartUpstream(EchoJson()));
  Client client(gateway_port_);
  bhttp::write(client.socket(), MakeRequest(bhttp::verb::head, "/h"));
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(true);  // a response to HEAD has no body whatever its Content-Length says
  bhttp::read(client.socket(), client.buffer(), parser);
  StringResponse response = parser.release();
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  std::string length(response[bhttp::field::content_length]);
  ASSERT_FALSE(length.empty());
  EXPECT_GT(std::stoul(length), 0u);  // the upstream's, for the body a GET would get
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(pool_->idle_connections(), 1u);  // the upstream connection is reusable
}

TEST_F(ProxyTest, ForwardsAPostWithItsBody) {
  StartGateway(StartUpstream(EchoJson()));
  Client client(gateway_port_);
  StringRequest request = MakeRequest(bhttp::verb::post, "/api/items");
  request.body() = "name=widget";
  StringResponse response = client.Send(request);
  ASSERT_EQ(response.result_int(), 200u);
  nlohmann::json seen = nlohmann::json::parse(response.body());
  EXPECT_EQ(seen["method"], "POST");
  EXPECT_EQ(seen["body"], "name=widget");
  EXPECT_EQ(seen["headers"]["content-length"], "11");
}

TEST_F(ProxyTest, ForwardsAChunkedRequestBodyChunked) {
  StartGateway(StartUpstream(EchoJson()));
  Client client(gateway_port_);
  std::string raw =
      "PUT /x HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  net::write(client.socket(), net::buffer(raw));
  StringResponse response = client.Read();
  ASSERT_EQ(response.result_int(), 200u);
  nlohmann::json seen = nlohmann::json::parse(response.body());
  EXPECT_EQ(seen["body"], "hello world");
  EXPECT_EQ(seen["headers"]["transfer-encoding"], "chunked");
  EXPECT_FALSE(seen["headers"].contains("content-length"));
}

TEST_F(ProxyTest, SetsForwardingHeadersAndDropsHopByHopOnes) {
  StartGateway(StartUpstream(EchoJson()));
  Client client(gateway_port_);
  StringRequest request = MakeRequest(bhttp::verb::get, "/h");
  request.set(bhttp::field::host, "example.test:8080");
  request.set(bhttp::field::connection, "keep-alive, X-Hop");
  request.set("X-Hop", "1");
  request.set("Keep-Alive", "timeout=5");
  request.set("Proxy-Authorization", "Basic Zm9v");
  request.set("TE", "trailers");
  request.set("Upgrade", "websocket");
  request.set("X-Forwarded-For", "10.0.0.1");
  request.set("X-Forwarded-Proto", "spoofed");
  request.set("X-Custom", "kept");
  StringResponse response = client.Send(request);
  ASSERT_EQ(response.result_int(), 200u);
  nlohmann::json headers = nlohmann::json::parse(response.body())["headers"];
  EXPECT_EQ(headers["x-custom"], "kept");
  EXPECT_EQ(headers["host"], "example.test:8080");
  EXPECT_EQ(headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(headers["x-forwarded-proto"], "http");
  EXPECT_EQ(headers["x-forwarded-host"], "example.test:8080");
  std::string request_id(response["X-Request-Id"]);
  EXPECT_FALSE(request_id.empty());
  EXPECT_EQ(headers["x-request-id"], request_id);
  for (const char* hop : {"x-hop", "keep-alive", "proxy-authorization", "te", "upgrade"}) {
    EXPECT_FALSE(headers.contains(hop)) << hop;
  }
  EXPECT_EQ(headers.value("connection", "").find("X-Hop"), std::string::npos);
  // The response's hop-by-hop fields stay between the gateway and the upstream.
  EXPECT_EQ(response["X-Upstream"], "yes");
  EXPECT_EQ(response.count("Proxy-Authenticate"), 0u);
  EXPECT_EQ(response.count(bhttp::field::upgrade), 0u);
}

TEST_F(ProxyTest, StreamsA20MegabyteBodyBothWays) {
  const std::string& pattern = Pattern();
  const uint64_t kSize = pattern.size();
  uint16_t port = StartUpstream([&](http::Exchange& exchange) -> net::awaitable<void> {
    // Check the request body as it arrives, then answer with as many bytes, chunk by chunk.
    uint64_t received = 0;
    bool intact = true;
    while (true) {
      Result<std::string_view> chunk = co_await exchange.ReadBodyChunk(50'000);
      if (!chunk) co_return;
      if (chunk->empty()) break;
      intact = intact && received + chunk->size() <= kSize &&
               pattern.compare(received, chunk->size(), *chunk) == 0;
      received += chunk->size();
    }
    http::ResponseHead head;
    head.headers.Set("X-Received", std::to_string(received));
    head.headers.Set("X-Intact", intact ? "yes" : "no");
    if (!co_await exchange.WriteHead(head)) co_return;  // chunked
    for (uint64_t sent = 0; sent < kSize;) {
      std::string_view piece = std::string_view(pattern).substr(sent, 70'000);
      if (!co_await exchange.WriteBodyChunk(piece)) co_return;
      sent += piece.size();
    }
    (void)co_await exchange.FinishBody();
  });
  StartGateway(port);
  Client client(gateway_port_);
  StringRequest request = MakeRequest(bhttp::verb::post, "/big");
  request.body() = pattern;
  StringResponse response = client.Send(std::move(request), kSize + 1);
  ASSERT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response["X-Received"], std::to_string(kSize));
  EXPECT_EQ(response["X-Intact"], "yes");
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response.body().size(), kSize);
  EXPECT_TRUE(response.body() == pattern);  // not EXPECT_EQ: a failure would print 40 MB
}

TEST_F(ProxyTest, ReusesTheUpstreamConnectionAcrossRequests) {
  StartGateway(StartUpstream(EchoJson()));
  constexpr int kRequests = 5;
  for (int i = 0; i < kRequests; ++i) {
    Client client(gateway_port_);  // a new client connection each time
    StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/again"));
    ASSERT_EQ(response.result_int(), 200u);
  }
  std::vector<http::AccessLogEntry> log = UpstreamLogOf(kRequests);
  std::set<std::string> peers;
  for (const auto& entry : log) peers.insert(entry.peer);
  EXPECT_EQ(peers.size(), 1u);
  EXPECT_EQ(pool_->stats().connects, 1u);
  EXPECT_EQ(pool_->stats().reuses, uint64_t{kRequests - 1});
  EXPECT_EQ(pool_->idle_connections(), 1u);
}

TEST_F(ProxyTest, AnswersARefusedConnectWith502AndTheRequestId) {
  StartGateway(ClosedPort());
  Client client(gateway_port_);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/down"));
  EXPECT_EQ(response.result_int(), 502u);
  nlohmann::json error = nlohmann::json::parse(response.body());
  std::string request_id(response["X-Request-Id"]);
  EXPECT_FALSE(request_id.empty());
  EXPECT_EQ(error["error"]["request_id"], request_id);
  EXPECT_EQ(error["error"]["status"], 502);
  EXPECT_EQ(response.body().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(pool_->stats().connects, 2u);  // a GET is tried once more
  EXPECT_EQ(pool_->stats().failed_connects, 2u);
}

TEST_F(ProxyTest, DoesNotRetryAPostOnARefusedConnect) {
  StartGateway(ClosedPort());
  Client client(gateway_port_);
  StringRequest request = MakeRequest(bhttp::verb::post, "/down");
  request.body() = "once";
  StringResponse response = client.Send(request);
  EXPECT_EQ(response.result_int(), 502u);
  EXPECT_EQ(pool_->stats().connects, 1u);
  EXPECT_EQ(pool_->stats().failed_connects, 1u);
}

TEST_F(ProxyTest, AnswersAnUpstreamThatNeverAnswersWith504) {
  // A listening socket that never accepts: the connect succeeds, no response comes.
  net::io_context silent_io;
  tcp::acceptor silent(silent_io, {tcp::v4(), 0});
  proxy_options_.response_header_timeout = milliseconds(200);
  StartGateway(silent.local_endpoint().port());
  Client client(gateway_port_);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/slow"));
  EXPECT_EQ(response.result_int(), 504u);
  nlohmann::json error = nlohmann::json::parse(response.body());
  EXPECT_EQ(error["error"]["request_id"], std::string(response["X-Request-Id"]));
  EXPECT_EQ(pool_->idle_connections(), 0u);
}

TEST_F(ProxyTest, AnswersAConnectThatTimesOutWith504) {
  // A listener with a full accept queue: Linux drops further SYNs, so a connect hangs.
  net::io_context full_io;
  tcp::acceptor full(full_io);
  full.open(tcp::v4());
  full.bind({net::ip::make_address("127.0.0.1"), 0});
  full.listen(0);  // room for one connection, which the filler takes
  tcp::socket filler(full_io);
  filler.connect(full.local_endpoint());
  proxy_options_.connect_timeout = milliseconds(200);
  proxy_options_.response_header_timeout = kWait * 2;  // a connect that succeeds fails the test
  StartGateway(full.local_endpoint().port());
  Client client(gateway_port_);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/full"));
  EXPECT_EQ(response.result_int(), 504u);
  nlohmann::json error = nlohmann::json::parse(response.body());
  EXPECT_EQ(error["error"]["request_id"], std::string(response["X-Request-Id"]));
  EXPECT_EQ(pool_->stats().connects, 1u);  // a timeout is not retried
  EXPECT_EQ(pool_->stats().failed_connects, 1u);
}

TEST_F(ProxyTest, AbortsTheClientConnectionWhenTheUpstreamBreaksOffItsBody) {
  RawUpstream raw(1, [](tcp::socket& socket, int) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket,
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n");
    // Closes here, without the last chunk.
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  bhttp::write(client.socket(), MakeRequest(bhttp::verb::get, "/cut"));
  bhttp::response_parser<bhttp::string_body> parser;
  boost::system::error_code ec;
  bhttp::read_header(client.socket(), client.buffer(), parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().result_int(), 200u);
  bhttp::read(client.socket(), client.buffer(), parser, ec);
  EXPECT_EQ(ec, bhttp::error::partial_message) << ec.message();  // closed, not completed
  EXPECT_FALSE(parser.is_done());
}

TEST_F(ProxyTest, AnswersASmallBodyCutShortWith502) {
  // A body of known length up to 64 KiB is read whole before the head goes out, so an
  // upstream that breaks it off is still a clean 502.
  RawUpstream raw(1, [](tcp::socket& socket, int) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  bhttp::write(client.socket(), MakeRequest(bhttp::verb::get, "/cut"));
  bhttp::response_parser<bhttp::string_body> parser;
  boost::system::error_code ec;
  bhttp::read(client.socket(), client.buffer(), parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().result_int(), 502u);
  EXPECT_NE(parser.get().body().find("\"request_id\""), std::string::npos);
  EXPECT_EQ(parser.get().body().find("0123456789"), std::string::npos);
}

TEST_F(ProxyTest, RetriesAGetOnceWhenAReusedConnectionTurnsOutDead) {
  RawUpstream raw(2, [](tcp::socket& socket, int index) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    if (index == 0) {
      // The next request on this connection finds it closed before any response byte.
      if (!RawUpstream::ReadHead(socket, buffer)) return;
      socket.close();
      return;
    }
    RawUpstream::WaitForClose(socket);
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  EXPECT_EQ(client.Send(MakeRequest(bhttp::verb::get, "/1")).result_int(), 200u);
  StringResponse second = client.Send(MakeRequest(bhttp::verb::get, "/2"));
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(second.body(), "first");
  EXPECT_EQ(raw.accepted(), 2);
  EXPECT_EQ(pool_->stats().reuses, 1u);
  pool_.reset();  // closes the idle connection, ending the upstream's script
}

TEST_F(ProxyTest, DoesNotRetryAPostWhenAReusedConnectionTurnsOutDead) {
  RawUpstream raw(1, [](tcp::socket& socket, int) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    socket.close();
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  EXPECT_EQ(client.Send(MakeRequest(bhttp::verb::get, "/1")).result_int(), 200u);
  StringResponse second = client.Send(MakeRequest(bhttp::verb::post, "/2"));
  EXPECT_EQ(second.result_int(), 502u);
  EXPECT_EQ(pool_->stats().connects, 1u);
}

TEST_F(ProxyTest, ClosesTheUpstreamConnectionWhenTheClientStopsReading) {
  Notification upstream_write_failed;
  uint16_t port = StartUpstream([&](http::Exchange& exchange) -> net::awaitable<void> {
    http::ResponseHead head;
    if (!co_await exchange.WriteHead(head)) co_return;
    std::string piece(64 * 1024, 'x');
    // Endless: only a failed write (the proxy closed the connection) ends it.
    while (co_await exchange.WriteBodyChunk(piece)) {
    }
    upstream_write_failed.Notify();
  });
  http::ServerOptions gateway_options;
  gateway_options.write_timeout = milliseconds(200);
  StartGateway(port, "/endless", gateway_options);
  Client client(gateway_port_);
  bhttp::write(client.socket(), MakeRequest(bhttp::verb::get, "/endless"));
  // The client never reads: the gateway's write times out and the upstream must see a close.
  EXPECT_TRUE(upstream_write_failed.WaitFor(kWait));
  EXPECT_EQ(pool_->idle_connections(), 0u);
}

TEST_F(ProxyTest, ClosesAnIdleConnectionAfterTheIdleTimeout) {
  UpstreamPoolOptions options;
  options.idle_timeout = milliseconds(100);
  pool_ = std::make_unique<UpstreamPool>(io_, options);
  StartGateway(StartUpstream(EchoJson()));
  Client client(gateway_port_);
  ASSERT_EQ(client.Send(MakeRequest(bhttp::verb::get, "/1")).result_int(), 200u);
  EXPECT_EQ(pool_->idle_connections(), 1u);
  EXPECT_TRUE(WaitUntil([&] { return pool_->idle_connections() == 0; }));
  // The upstream saw the close: its only connection is gone.
  EXPECT_TRUE(WaitUntil([&] { return upstream_->active_connections() == 0; }));
  ASSERT_EQ(client.Send(MakeRequest(bhttp::verb::get, "/2")).result_int(), 200u);
  EXPECT_EQ(pool_->stats().connects, 2u);
  EXPECT_EQ(pool_->stats().reuses, 0u);
}

TEST_F(ProxyTest, DiscardsAnIdleConnectionTheUpstreamClosed) {
  Notification closed;
  RawUpstream raw(2, [&](tcp::socket& socket, int index) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (index == 0) {
      socket.close();  // a keep-alive response, then the upstream changes its mind
      closed.Notify();
      return;
    }
    RawUpstream::WaitForClose(socket);
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  ASSERT_EQ(client.Send(MakeRequest(bhttp::verb::get, "/1")).result_int(), 200u);
  ASSERT_TRUE(closed.WaitFor(kWait));
  EXPECT_TRUE(WaitUntil([&] { return pool_->idle_connections() == 0; }));
  // A POST cannot be retried: it succeeds only because the dead connection was not used.
  StringRequest post = MakeRequest(bhttp::verb::post, "/2");
  post.body() = "data";
  EXPECT_EQ(client.Send(post).result_int(), 200u);
  EXPECT_EQ(raw.accepted(), 2);
  EXPECT_EQ(pool_->stats().reuses, 0u);
  pool_.reset();  // closes the idle connection, ending the upstream's script
}

TEST_F(ProxyTest, DoesNotPoolAConnectionTheUpstreamAskedToClose) {
  RawUpstream raw(1, [](tcp::socket& socket, int) {
    std::string buffer;
    if (!RawUpstream::ReadHead(socket, buffer)) return;
    RawUpstream::Write(socket,
                       "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    RawUpstream::WaitForClose(socket);
  });
  StartGateway(raw.port());
  Client client(gateway_port_);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/1"));
  ASSERT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "ok");
  EXPECT_TRUE(response.keep_alive());  // the client's connection is its own
  EXPECT_EQ(pool_->idle_connections(), 0u);
}

// Holds each caller of Wait until `count` have arrived (timers that are cancelled, never expire).
class Rendezvous {
 public:
  explicit Rendezvous(int count) : count_(count) {}

  net::awaitable<void> Wait() {
    auto executor = co_await net::this_coro::executor;
    auto timer =
        std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
    {
      std::lock_guard lock(mutex_);
      if (++arrived_ >= count_) {
        // Each cancel runs on its waiter's strand, after that waiter has started waiting.
        for (auto& waiting : timers_) {
          net::post(waiting->get_executor(), [waiting] { waiting->cancel(); });
        }
        timers_.clear();
        co_return;
      }
      timers_.push_back(timer);
    }
    boost::system::error_code ec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
  }

 private:
  std::mutex mutex_;
  const int count_;
  int arrived_ = 0;
  std::vector<std::shared_ptr<net::steady_timer>> timers_;
};

TEST_F(ProxyTest, KeepsAtMostMaxIdleConnectionsPerEndpoint) {
  UpstreamPoolOptions options;
  options.max_idle_per_endpoint = 1;
  pool_ = std::make_unique<UpstreamPool>(io_, options);
  Rendezvous both(2);
  uint16_t port = StartUpstream([&](http::Exchange& exchange) -> net::awaitable<void> {
    co_await both.Wait();  // two upstream connections are in use at once
    http::Response response;
    response.body = "ok";
    (void)co_await exchange.Respond(std::move(response));
  });
  StartGateway(port);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&] {
      Client client(gateway_port_);
      if (client.Send(MakeRequest(bhttp::verb::get, "/")).result_int() == 200) answered++;
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(answered.load(), 2);
  EXPECT_EQ(pool_->stats().connects, 2u);
  EXPECT_EQ(pool_->idle_connections(), 1u);
  // The one not kept was closed: the upstream is left with one connection.
  EXPECT_TRUE(WaitUntil([&] { return upstream_->active_connections() == 1; }));
}

TEST_F(ProxyTest, RespondNoHealthyHandlerAnswers503AsJson) {
  http::StreamHandler handler = [](http::Exchange& exchange) -> net::awaitable<void> {
    co_await RespondNoHealthyHandler(exchange, "app");
  };
  gateway_ = std::make_unique<http::HttpServer>(io_, http::ServerOptions{}, handler);
  ASSERT_TRUE(gateway_->Listen({"127.0.0.1", 0}).has_value());
  Client client(gateway_->local_endpoint().port);
  StringResponse response = client.Send(MakeRequest(bhttp::verb::get, "/"));
  EXPECT_EQ(response.result_int(), 503u);
  nlohmann::json error = nlohmann::json::parse(response.body());
  EXPECT_EQ(error["error"]["status"], 503);
  EXPECT_EQ(error["error"]["request_id"], std::string(response["X-Request-Id"]));
  EXPECT_EQ(response.body().find("app"), std::string::npos);
}

}  // namespace
}  // namespace lockstep::runtime
