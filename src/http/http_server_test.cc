#include "http/http_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "background_process.h"
#include "notification.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using StringResponse = bhttp::response<bhttp::string_body>;

constexpr milliseconds kWait{10'000};  // the longest any test waits for an event

using testing::Notification;

// Polls `condition` until it holds or kWait has passed.
bool WaitUntil(const std::function<bool()>& condition) {
  return testing::WaitUntil(condition, kWait);
}

// Handlers wait on the gate until the test opens it (a timer that is cancelled, never expires).
class Gate {
 public:
  net::awaitable<void> Wait() {
    auto executor = co_await net::this_coro::executor;
    auto timer =
        std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
    {
      std::lock_guard lock(mutex_);
      if (open_) co_return;
      timers_.push_back(timer);
    }
    entered_.Notify();
    boost::system::error_code ec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    for (auto& timer : timers_) net::post(timer->get_executor(), [timer] { timer->cancel(); });
    timers_.clear();
  }
  bool WaitUntilEntered() { return entered_.WaitFor(kWait); }

 private:
  std::mutex mutex_;
  bool open_ = false;
  std::vector<std::shared_ptr<net::steady_timer>> timers_;
  Notification entered_;
};

// A blocking client on its own socket. Reads give up after kWait (SO_RCVTIMEO), so a server
// that never answers fails the test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval timeout{static_cast<time_t>(kWait.count() / 1000), 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  void WriteRaw(std::string_view bytes) {
    net::write(socket_, net::buffer(bytes.data(), bytes.size()));
  }

  StringResponse Send(bhttp::request<bhttp::string_body> request) {
    request.prepare_payload();
    bhttp::write(socket_, request);
    return Read();
  }

  StringResponse Read(uint64_t body_limit = 1 << 20) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(body_limit);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  // Reads until the server closes; returns what arrived, or nullopt when the read timed out.
  std::optional<std::string> ReadToEnd() {
    std::string data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.clear();
    boost::system::error_code ec;
    std::array<char, 4096> chunk;
    while (true) {
      size_t n = socket_.read_some(net::buffer(chunk), ec);
      data.append(chunk.data(), n);
      if (ec == net::error::eof || ec == net::error::connection_reset) return data;
      if (ec) return std::nullopt;
    }
  }

  tcp::socket& socket() { return socket_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

bhttp::request<bhttp::string_body> Get(std::string target) {
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, target, 11);
  request.set(bhttp::field::host, "test");
  return request;
}

nlohmann::json ErrorOf(const StringResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(StreamHandler handler, ServerOptions options = {}) {
    options.access_log = [this](const AccessLogEntry& entry) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(entry);
    };
    server_ = std::make_unique<HttpServer>(io_, std::move(options), std::move(handler));
    Result<void> listening = server_->Listen({"127.0.0.1", 0});
    ASSERT_TRUE(listening.has_value()) << listening.error().ToString();
    port_ = server_->local_endpoint().port;
    ASSERT_NE(port_, 0);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    gate_.Open();
    if (server_) {
      Notification stopped;
      server_->Stop(milliseconds(2000), [&] { stopped.Notify(); });
      EXPECT_TRUE(stopped.WaitFor(kWait));
    }
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    server_.reset();
  }

  std::vector<AccessLogEntry> Log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }
  // The access log once it has `count` entries (it is written after the response is sent).
  std::vector<AccessLogEntry> LogOf(size_t count) {
    EXPECT_TRUE(WaitUntil([&] { return Log().size() >= count; }));
    return Log();
  }

  // A simple handler answering "METHOD TARGET BODY" and the request id it saw.
  static StreamHandler EchoHandler() {
    return MakeSimpleHandler([](const Request& request) {
      Response response;
      response.headers.Set("Content-Type", "text/plain");
      response.headers.Set("Seen-Request-Id", request.head.request_id);
      response.body = request.head.method + " " + request.head.target + " " + request.body;
      return response;
    });
  }

  net::io_context io_;
  // Keeps the loop threads running after the server has stopped, until TearDown.
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  std::vector<std::thread> threads_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  Gate gate_;
  std::mutex log_mutex_;
  std::vector<AccessLogEntry> log_;
};

TEST_F(HttpServerTest, AnswersASimpleRequest) {
  Start(EchoHandler());
  Client client(port_);
  auto request = Get("/hello?x=1");
  request.method(bhttp::verb::post);
  request.body() = "payload";
  StringResponse response = client.Send(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "POST /hello?x=1 payload");
  EXPECT_EQ(response[bhttp::field::content_type], "text/plain");
  EXPECT_EQ(response[bhttp::field::content_length], "23");

  std::vector<AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "POST");
  EXPECT_EQ(log[0].target, "/hello?x=1");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes_received, 7u);
  EXPECT_EQ(log[0].bytes_sent, 23u);
  EXPECT_EQ(log[0].request_id, std::string(response["X-Request-Id"]));
  EXPECT_EQ(log[0].peer.rfind("127.0.0.1:", 0), 0u) << log[0].peer;
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveForASecondRequest) {
  Start(EchoHandler());
  Client client(port_);
  StringResponse first = client.Send(Get("/one"));
  StringResponse second = client.Send(Get("/two"));
  EXPECT_EQ(first.body(), "GET /one ");
  EXPECT_EQ(second.body(), "GET /two ");
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(server_->active_connections(), 1u);
  std::vector<AccessLogEntry> log = LogOf(2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].peer, log[1].peer);
}

TEST_F(HttpServerTest, PassesAValidRequestIdThroughAndReplacesAnInvalidOne) {
  Start(EchoHandler());
  Client client(port_);
  auto request = Get("/");
  request.set("X-Request-Id", "trace-0042.a_b");
  StringResponse passed = client.Send(request);
  EXPECT_EQ(passed["X-Request-Id"], "trace-0042.a_b");
  EXPECT_EQ(passed["Seen-Request-Id"], "trace-0042.a_b");

  request.set("X-Request-Id", "not valid!");
  StringResponse replaced = client.Send(request);
  std::string id(replaced["X-Request-Id"]);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(replaced["Seen-Request-Id"], id);

  StringResponse generated = client.Send(Get("/"));
  EXPECT_EQ(generated["X-Request-Id"].size(), 32u);
  EXPECT_NE(generated["X-Request-Id"], id);
}

TEST_F(HttpServerTest, AnswersHugeHeadersWith431) {
  ServerOptions options;
  options.max_header_bytes = 8 * 1024;
  std::atomic<bool> called = false;
  Start(MakeSimpleHandler([&](const Request&) {
          called = true;
          return Response{};
        }),
        options);
  Client client(port_);
  auto request = Get("/");
  request.set("X-Big", std::string(20 * 1024, 'a'));
  StringResponse response = client.Send(request);
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  nlohmann::json error = ErrorOf(response);
  EXPECT_EQ(error["error"]["status"], 431);
  EXPECT_EQ(error["error"]["message"], "request header fields too large");
  EXPECT_EQ(error["error"]["request_id"], std::string(response["X-Request-Id"]));
  EXPECT_FALSE(called);
}

TEST_F(HttpServerTest, AnswersADeclaredTooLargeBodyWith413BeforeReadingIt) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Start(EchoHandler(), options);
  Client client(port_);
  // Only the head is sent: the answer must not wait for the body.
  client.WriteRaw("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
  StringResponse response = client.Read();
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(ErrorOf(response)["error"]["message"], "content too large");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(HttpServerTest, AnswersAChunkedBodyOverTheLimitWith413) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Start(EchoHandler(), options);
  Client client(port_);
  std::string chunk(600, 'x');
  client.WriteRaw("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  client.WriteRaw("258\r\n" + chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  StringResponse response = client.Read();
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(ErrorOf(response)["error"]["status"], 413);
  std::vector<AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 413);
}

TEST_F(HttpServerTest, ASimpleHandlersOwnLimitAlsoAnswers413) {
  Start(MakeSimpleHandler([](const Request&) { return Response{}; }, /*max_body_bytes=*/10));
  Client client(port_);
  auto request = Get("/");
  request.method(bhttp::verb::put);
  request.body() = std::string(11, 'b');
  EXPECT_EQ(client.Send(request).result_int(), 413);
}

TEST_F(HttpServerTest, AnswersGarbageWith400AndNoInternals) {
  Start(EchoHandler());
  Client client(port_);
  client.WriteRaw("HELLO THERE\r\n\r\n");
  StringResponse response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  nlohmann::json error = ErrorOf(response);
  EXPECT_EQ(error["error"]["message"], "bad request");
  EXPECT_EQ(error["error"].size(), 3u);
  std::vector<AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 400);
  EXPECT_EQ(log[0].method, "");
}

TEST_F(HttpServerTest, AnswersAMalformedChunkWith400) {
  Start(EchoHandler());
  Client client(port_);
  client.WriteRaw("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(client.Read().result_int(), 400);
}

TEST_F(HttpServerTest, AHandlerThatThrowsGives500WithoutTheExceptionText) {
  Start([](Exchange&) -> net::awaitable<void> {
    throw std::runtime_error("secret detail at /etc/lockstep");
    co_return;
  });
  Client client(port_);
  StringResponse response = client.Send(Get("/"));
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(response.body().find("secret"), std::string::npos);
  EXPECT_EQ(ErrorOf(response)["error"]["message"], "internal server error");
}

TEST_F(HttpServerTest, AHandlerThatSendsNothingGives500) {
  Start([](Exchange&) -> net::awaitable<void> { co_return; });
  Client client(port_);
  EXPECT_EQ(client.Send(Get("/")).result_int(), 500);
}

TEST_F(HttpServerTest, StreamsALargeBodyInChunksBothWays) {
  constexpr size_t kChunk = 64 * 1024;
  constexpr size_t kTotal = 50 * 1024 * 1024;
  std::atomic<size_t> chunks = 0;
  std::atomic<size_t> largest = 0;
  Start([&](Exchange& exchange) -> net::awaitable<void> {
    ResponseHead head;
    head.headers.Set("Content-Type", "application/octet-stream");
    if (!co_await exchange.WriteHead(head)) co_return;  // chunked: the length is unknown
    while (true) {
      Result<std::string_view> chunk = co_await exchange.ReadBodyChunk(kChunk);
      if (!chunk) co_return;
      if (chunk->empty()) break;
      ++chunks;
      if (chunk->size() > largest) largest = chunk->size();
      if (!co_await exchange.WriteBodyChunk(*chunk)) co_return;
    }
    (void)co_await exchange.FinishBody();
  });

  std::string body(kTotal, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 251);
  Client client(port_);
  // The server echoes while the upload runs, so the client writes and reads at once.
  std::thread writer([&] {
    client.WriteRaw(
        fmt::format("PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", body.size()));
    client.WriteRaw(body);
  });
  StringResponse response = client.Read(/*body_limit=*/kTotal + 1);
  writer.join();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response.body().size(), body.size());
  EXPECT_TRUE(response.body() == body);
  EXPECT_GE(chunks.load(), kTotal / kChunk);
  EXPECT_LE(largest.load(), kChunk);
  std::vector<AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].bytes_received, kTotal);
  EXPECT_EQ(log[0].bytes_sent, kTotal);
}

TEST_F(HttpServerTest, AnswersContinueBeforeReadingTheBody) {
  Start(EchoHandler());
  Client client(port_);
  client.WriteRaw(
      "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  StringResponse interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100);
  client.WriteRaw("data");
  StringResponse response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "POST / data");
}

TEST_F(HttpServerTest, DropsASlowlorisHeadAfterTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = milliseconds(200);
  std::atomic<bool> called = false;
  Start(MakeSimpleHandler([&](const Request&) {
          called = true;
          return Response{};
        }),
        options);
  Client client(port_);
  auto started = std::chrono::steady_clock::now();
  client.WriteRaw("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  std::optional<std::string> rest = client.ReadToEnd();
  ASSERT_TRUE(rest.has_value()) << "the server did not close the connection";
  EXPECT_EQ(*rest, "");
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(150));
  EXPECT_FALSE(called);
}

TEST_F(HttpServerTest, ClosesAnIdleKeepAliveConnection) {
  ServerOptions options;
  options.idle_timeout = milliseconds(200);
  Start(EchoHandler(), options);
  Client client(port_);
  EXPECT_EQ(client.Send(Get("/")).result_int(), 200);
  std::optional<std::string> rest = client.ReadToEnd();
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(*rest, "");
  EXPECT_EQ(LogOf(1).size(), 1u);
}

TEST_F(HttpServerTest, StopLetsAnExchangeInProgressFinishAndRefusesNewConnections) {
  Start([&](Exchange& exchange) -> net::awaitable<void> {
    co_await gate_.Wait();
    // A named response: g++ 12 destroys a braced temporary in a co_await expression twice.
    Response response{200, {}, "late"};
    (void)co_await exchange.Respond(std::move(response));
  });
  Client busy(port_);
  Client idle(port_);
  bhttp::write(busy.socket(), Get("/slow"));
  ASSERT_TRUE(gate_.WaitUntilEntered());
  // The idle client's connection must be accepted before Stop for the test to mean anything.
  ASSERT_TRUE(WaitUntil([&] { return server_->active_connections() == 2u; }));

  Notification stopped;
  server_->Stop(milliseconds(10'000), [&] { stopped.Notify(); });
  // New connections are refused once the listener is closed.
  bool refused = false;
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    net::io_context io;
    tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    refused = ec == net::error::connection_refused;
    if (!refused) std::this_thread::yield();
  }
  EXPECT_TRUE(refused);
  // The idle connection is closed at once; the busy one still waits for its answer.
  EXPECT_EQ(idle.ReadToEnd(), std::optional<std::string>(""));
  EXPECT_FALSE(stopped.WaitFor(milliseconds(0)));

  gate_.Open();
  StringResponse response = busy.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "late");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(stopped.WaitFor(kWait));
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST_F(HttpServerTest, StopClosesWhatIsLeftAtTheDeadline) {
  Start([&](Exchange& exchange) -> net::awaitable<void> {
    co_await gate_.Wait();
    Response response{200, {}, "too late"};
    (void)co_await exchange.Respond(std::move(response));
  });
  Client client(port_);
  bhttp::write(client.socket(), Get("/stuck"));
  ASSERT_TRUE(gate_.WaitUntilEntered());
  Notification stopped;
  auto started = std::chrono::steady_clock::now();
  server_->Stop(milliseconds(200), [&] { stopped.Notify(); });
  ASSERT_TRUE(stopped.WaitFor(kWait));
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(150));
  EXPECT_EQ(client.ReadToEnd(), std::optional<std::string>(""));
}

TEST_F(HttpServerTest, ListeningOnAPortInUseFails) {
  Start(EchoHandler());
  HttpServer second(io_, {}, EchoHandler());
  Result<void> listening = second.Listen({"127.0.0.1", port_});
  ASSERT_FALSE(listening.has_value());
  EXPECT_EQ(listening.error().code(), ErrorCode::kAlreadyExists);
}

TEST(EndpointTest, ParsesAddressAndPort) {
  Result<Endpoint> v4 = ParseEndpoint("127.0.0.1:7400");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->port, 7400);
  Result<Endpoint> v6 = ParseEndpoint("[::1]:0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:0");
  EXPECT_EQ(ParseEndpoint("localhost:80").error().message(),
            "'localhost:80' is not ADDR:PORT: 'localhost' is not a numeric IP address");
  EXPECT_EQ(ParseEndpoint("127.0.0.1:99999").error().message(),
            "'127.0.0.1:99999' is not ADDR:PORT: '99999' is not a port (0 to 65535)");
  EXPECT_EQ(ParseEndpoint("7400").error().message(),
            "'7400' is not ADDR:PORT: the port is missing");
  EXPECT_EQ(ParseEndpoint("::1:80").error().message(),
            "'::1:80' is not ADDR:PORT: write an IPv6 address in brackets");
}

}  // namespace
}  // namespace lockstep::http
