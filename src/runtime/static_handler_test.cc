#include "runtime/static_handler.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.h"
#include "temp_dir.h"

namespace lockstep::runtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using StringResponse = bhttp::response<bhttp::string_body>;
using std::chrono::milliseconds;

constexpr milliseconds kWait{10'000};  // the longest any test waits for an answer
constexpr size_t kBigSize = 10 * 1024 * 1024;
// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
constexpr int64_t kMtimeSeconds = 784111777;

// The sizes of the body chunks a handler wrote, recorded on the server's threads.
class ChunkLog {
 public:
  void Record(size_t size) {
    std::lock_guard lock(mutex_);
    sizes_.push_back(size);
  }
  std::vector<size_t> sizes() {
    std::lock_guard lock(mutex_);
    return sizes_;
  }

 private:
  std::mutex mutex_;
  std::vector<size_t> sizes_;
};

// Passes every call through to the server's exchange, noting the size of each body chunk.
class RecordingExchange : public http::Exchange {
 public:
  RecordingExchange(http::Exchange& inner, ChunkLog& log) : inner_(inner), log_(log) {}

  const http::RequestHead& request() const override { return inner_.request(); }
  net::awaitable<Result<std::string_view>> ReadBodyChunk(size_t max_bytes) override {
    return inner_.ReadBodyChunk(max_bytes);
  }
  bool body_complete() const override { return inner_.body_complete(); }
  net::awaitable<Result<void>> WriteHead(http::ResponseHead head) override {
    return inner_.WriteHead(std::move(head));
  }
  net::awaitable<Result<void>> WriteBodyChunk(std::string_view bytes) override {
    log_.Record(bytes.size());
    return inner_.WriteBodyChunk(bytes);
  }
  net::awaitable<Result<void>> FinishBody() override { return inner_.FinishBody(); }
  net::awaitable<Result<void>> Respond(http::Response response) override {
    return inner_.Respond(std::move(response));
  }
  bool head_sent() const override { return inner_.head_sent(); }

 private:
  http::Exchange& inner_;
  ChunkLog& log_;
};

// A blocking client on one keep-alive connection. Reads give up after kWait (SO_RCVTIMEO), so
// a server that never answers fails the test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval timeout{static_cast<time_t>(kWait.count() / 1000), 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }

  StringResponse Send(bhttp::request<bhttp::string_body> request) {
    bool is_head = request.method() == bhttp::verb::head;
    request.prepare_payload();
    bhttp::write(socket_, request);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(is_head);  // a response to HEAD has no body, whatever its Content-Length says
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// Sends a request, reads only the first bytes of the answer and closes the connection.
void SendAndHangUp(uint16_t port, std::string_view request) {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  timeval timeout{static_cast<time_t>(kWait.count() / 1000), 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  net::write(socket, net::buffer(request.data(), request.size()));
  std::array<char, 1024> some;
  net::read(socket, net::buffer(some));
  // Unread data makes close() send a reset: the server's next write fails at once.
  socket.set_option(net::socket_base::linger(true, 0));
  socket.close();
}

bhttp::request<bhttp::string_body> Request(bhttp::verb method, std::string target) {
  bhttp::request<bhttp::string_body> request(method, target, 11);
  request.set(bhttp::field::host, "test");
  return request;
}

bhttp::request<bhttp::string_body> Get(std::string target) {
  return Request(bhttp::verb::get, std::move(target));
}

nlohmann::json JsonOf(const StringResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
}

// Bytes that are not a repeating short pattern, so a misplaced chunk cannot go unnoticed.
std::string BigContent() {
  std::string content(kBigSize, '\0');
  uint64_t state = 0x9e3779b97f4a7c15u;
  for (char& c : content) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    c = static_cast<char>(state >> 56);
  }
  return content;
}

class StaticHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("site/index.html", "<h1>home</h1>");
    dir_.Write("site/assets/app.css", "body { margin: 0 }");
    dir_.Write("site/docs/index.html", "docs");
    big_ = BigContent();
    dir_.Write("site/big.bin", big_);
    timespec times[2] = {{kMtimeSeconds, 0}, {kMtimeSeconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir_.path() / "site/index.html").c_str(), times, 0), 0);
    root_fd_ =
        exec::UniqueFd(::open((dir_.path() / "site").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
    site_fd_ = root_fd_.get();
  }

  void Start() {
    http::StreamHandler handler = [this](http::Exchange& exchange) { return Serve(exchange); };
    http::ServerOptions options;
    options.access_log = [this](const http::AccessLogEntry& entry) {
      std::lock_guard lock(log_mutex_);
      log_.push_back(entry);
    };
    server_ = std::make_unique<http::HttpServer>(io_, std::move(options), handler);
    Result<void> listening = server_->Listen({"127.0.0.1", 0});
    ASSERT_TRUE(listening.has_value()) << listening.error().ToString();
    port_ = server_->local_endpoint().port;
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) {
      std::mutex mutex;
      std::condition_variable cv;
      bool stopped = false;
      server_->Stop(milliseconds(2000), [&] {
        std::lock_guard lock(mutex);
        stopped = true;
        cv.notify_all();
      });
      std::unique_lock lock(mutex);
      EXPECT_TRUE(cv.wait_for(lock, kWait, [&] { return stopped; }));
    }
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
    server_.reset();
  }

  // Waits until the access log has `count` entries (it is written after each exchange ends).
  std::vector<http::AccessLogEntry> LogOf(size_t count) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (true) {
      {
        std::lock_guard lock(log_mutex_);
        if (log_.size() >= count || std::chrono::steady_clock::now() >= deadline) return log_;
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
  }

  net::awaitable<void> Serve(http::Exchange& exchange) {
    RecordingExchange recorder(exchange, chunks_);
    std::string_view target = exchange.request().target;
    co_await ServeStatic(recorder, site_fd_, target, options_);
  }

  lockstep::testing::TempDir dir_;
  std::string big_;
  exec::UniqueFd root_fd_;
  int site_fd_ = -1;  // the root the handler serves; root_fd_ unless a test breaks it
  StaticOptions options_;
  ChunkLog chunks_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  std::vector<std::thread> threads_;
  std::unique_ptr<http::HttpServer> server_;
  uint16_t port_ = 0;
  std::mutex log_mutex_;
  std::vector<http::AccessLogEntry> log_;
};

TEST(HttpDateTest, FormatsImfFixdateRoundingDown) {
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(kMtimeSeconds * 1'000'000'000 + 999'999'999), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(HttpDateTest, ParsesWhatItFormats) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kMtimeSeconds);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(ParseHttpDate(HttpDate(int64_t{1'700'000'000} * 1'000'000'000)), 1'700'000'000);
}

TEST(HttpDateTest, RejectsOtherFormsAndBadFields) {
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);  // RFC 850
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), std::nullopt);        // asctime
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Xyz, 06 Nov 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Sun, 32 Nov 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 24:00:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:4x:37 GMT"), std::nullopt);
  EXPECT_EQ(ParseHttpDate(""), std::nullopt);
}

TEST_F(StaticHandlerTest, ServesIndexHtmlAtTheRoot) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "<h1>home</h1>");
  EXPECT_EQ(response[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(response[bhttp::field::content_length], "13");
  EXPECT_EQ(response[bhttp::field::cache_control], "no-cache");
  EXPECT_EQ(response[bhttp::field::last_modified], "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  std::string etag(response[bhttp::field::etag]);
  EXPECT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(StaticHandlerTest, ServesANestedFileWithItsContentType) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/assets/app.css?v=3"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "body { margin: 0 }");
  EXPECT_EQ(response[bhttp::field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(response[bhttp::field::cache_control], "public, max-age=300");
}

TEST_F(StaticHandlerTest, StreamsALargeFileInChunks) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/big.bin"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[bhttp::field::content_length], std::to_string(kBigSize));
  EXPECT_EQ(response[bhttp::field::content_type], "application/octet-stream");
  ASSERT_EQ(response.body().size(), big_.size());
  EXPECT_TRUE(response.body() == big_) << "the body differs from the file";

  // Written as it was read: one chunk per 64 KiB, none larger.
  std::vector<size_t> sizes = chunks_.sizes();
  EXPECT_EQ(sizes.size(), kBigSize / kStaticChunkBytes);
  size_t total = 0;
  for (size_t size : sizes) {
    EXPECT_LE(size, kStaticChunkBytes);
    total += size;
  }
  EXPECT_EQ(total, kBigSize);
}

TEST_F(StaticHandlerTest, StopsWhenTheClientGoesAway) {
  Start();
  SendAndHangUp(port_, "GET /big.bin HTTP/1.1\r\nHost: test\r\n\r\n");
  std::vector<http::AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_LT(log[0].bytes_sent, kBigSize);
  // The handler gave up part way, and the server goes on serving.
  EXPECT_LT(chunks_.sizes().size(), kBigSize / kStaticChunkBytes);
  Client client(port_);
  StringResponse response = client.Send(Get("/"));
  EXPECT_EQ(response.result_int(), 200);
}

TEST_F(StaticHandlerTest, HeadSendsTheHeadWithoutTheBody) {
  Start();
  Client client(port_);
  StringResponse head = client.Send(Request(bhttp::verb::head, "/big.bin"));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[bhttp::field::content_length], std::to_string(kBigSize));
  EXPECT_FALSE(head[bhttp::field::etag].empty());
  // Had any body bytes been sent, they would be read as the next response and fail to parse.
  StringResponse next = client.Send(Get("/assets/app.css"));
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), "body { margin: 0 }");
}

TEST_F(StaticHandlerTest, AnswersNotModifiedWhenTheETagMatches) {
  Start();
  Client client(port_);
  StringResponse first = client.Send(Get("/assets/app.css"));
  std::string etag(first[bhttp::field::etag]);
  ASSERT_FALSE(etag.empty());

  auto conditional = Get("/assets/app.css");
  conditional.set(bhttp::field::if_none_match, "\"other\", " + etag);
  StringResponse not_modified = client.Send(conditional);
  EXPECT_EQ(not_modified.result_int(), 304);
  EXPECT_EQ(not_modified[bhttp::field::etag], etag);
  EXPECT_EQ(not_modified[bhttp::field::cache_control], "public, max-age=300");
  EXPECT_EQ(not_modified.body(), "");
  EXPECT_EQ(not_modified.count(bhttp::field::last_modified), 0u);
  EXPECT_EQ(not_modified.count(bhttp::field::content_type), 0u);

  auto stale = Get("/assets/app.css");
  stale.set(bhttp::field::if_none_match, "\"other\"");
  StringResponse full = client.Send(stale);
  EXPECT_EQ(full.result_int(), 200);
  EXPECT_EQ(full.body(), "body { margin: 0 }");
}

TEST_F(StaticHandlerTest, HonoursIfModifiedSinceOnlyWithoutIfNoneMatch) {
  Start();
  Client client(port_);
  auto same = Get("/index.html");
  same.set(bhttp::field::if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
  StringResponse not_modified = client.Send(same);
  EXPECT_EQ(not_modified.result_int(), 304);
  EXPECT_FALSE(not_modified[bhttp::field::etag].empty());

  auto earlier = Get("/index.html");
  earlier.set(bhttp::field::if_modified_since, "Sun, 06 Nov 1994 08:49:36 GMT");
  EXPECT_EQ(client.Send(earlier).result_int(), 200);

  auto obsolete = Get("/index.html");
  obsolete.set(bhttp::field::if_modified_since, "Sunday, 06-Nov-94 08:49:37 GMT");
  EXPECT_EQ(client.Send(obsolete).result_int(), 200);

  auto both = Get("/index.html");  // If-None-Match decides: this ETag does not match
  both.set(bhttp::field::if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
  both.set(bhttp::field::if_none_match, "\"other\"");
  StringResponse full = client.Send(both);
  EXPECT_EQ(full.result_int(), 200);
  EXPECT_EQ(full.body(), "<h1>home</h1>");
}

TEST_F(StaticHandlerTest, RedirectsADirectoryToItsSlash) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/docs?page=2"));
  EXPECT_EQ(response.result_int(), 301);
  EXPECT_EQ(response[bhttp::field::location], "/docs/?page=2");
  EXPECT_EQ(response.body(), "");
  StringResponse index = client.Send(Get("/docs/"));
  EXPECT_EQ(index.result_int(), 200);
  EXPECT_EQ(index.body(), "docs");
}

TEST_F(StaticHandlerTest, AnswersNotFoundAsJson) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/users/42"));
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  nlohmann::json body = JsonOf(response);
  EXPECT_EQ(body["error"]["status"], 404);
  EXPECT_EQ(body["error"]["message"], "not found");
  EXPECT_EQ(body["error"]["request_id"], std::string(response["X-Request-Id"]));
}

TEST_F(StaticHandlerTest, RefusesAnEscapeWithoutSayingWhatItFound) {
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/%2e%2e/etc/passwd"));
  EXPECT_EQ(response.result_int(), 403);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  nlohmann::json body = JsonOf(response);
  EXPECT_EQ(body["error"]["status"], 403);
  EXPECT_EQ(body["error"]["message"], "forbidden");
  EXPECT_EQ(response.body().find("passwd"), std::string::npos) << response.body();
  EXPECT_EQ(response.body().find("etc"), std::string::npos) << response.body();
  EXPECT_EQ(response.body().find(".."), std::string::npos) << response.body();
  EXPECT_EQ(response.body().find(dir_.path().string()), std::string::npos) << response.body();
}

TEST_F(StaticHandlerTest, RefusesOtherMethodsWithAllowAndKeepsTheConnection) {
  Start();
  Client client(port_);
  auto post = Request(bhttp::verb::post, "/index.html");
  post.body() = "name=value";
  StringResponse response = client.Send(post);
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[bhttp::field::allow], "GET, HEAD");
  nlohmann::json body = JsonOf(response);
  EXPECT_EQ(body["error"]["status"], 405);
  EXPECT_EQ(body["error"]["message"], "method not allowed");
  // The small body was read and discarded, so the connection serves the next request.
  EXPECT_TRUE(response.keep_alive());
  StringResponse next = client.Send(Get("/"));
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), "<h1>home</h1>");
}

TEST_F(StaticHandlerTest, RefusesALargePostWithoutReadingItAndCloses) {
  Start();
  Client client(port_);
  auto post = Request(bhttp::verb::post, "/index.html");
  post.body() = std::string(1 << 20, 'x');
  StringResponse response = client.Send(post);
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[bhttp::field::allow], "GET, HEAD");
  // Over kStaticDiscardBytes the body stays unread, so the connection cannot be reused.
  EXPECT_FALSE(response.keep_alive());
  std::vector<http::AccessLogEntry> log = LogOf(1);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].bytes_received, 0u);
}

TEST_F(StaticHandlerTest, IgnoresTheBodyOfAGet) {
  Start();
  Client client(port_);
  auto get = Get("/");
  get.body() = "unexpected";
  StringResponse response = client.Send(get);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "<h1>home</h1>");
  EXPECT_TRUE(response.keep_alive());
  StringResponse next = client.Send(Get("/assets/app.css"));
  EXPECT_EQ(next.result_int(), 200);
}

TEST_F(StaticHandlerTest, FallsBackToIndexHtmlForClientRoutes) {
  options_.spa_fallback = true;
  Start();
  Client client(port_);
  StringResponse route = client.Send(Get("/users/42"));
  EXPECT_EQ(route.result_int(), 200);
  EXPECT_EQ(route.body(), "<h1>home</h1>");
  EXPECT_EQ(route[bhttp::field::content_type], "text/html; charset=utf-8");
  StringResponse asset = client.Send(Get("/assets/missing.js"));
  EXPECT_EQ(asset.result_int(), 404);
}

TEST_F(StaticHandlerTest, AnswersInternalErrorWithoutDetails) {
  site_fd_ = -1;  // every open fails with EBADF, which is no refusal
  Start();
  Client client(port_);
  StringResponse response = client.Send(Get("/index.html"));
  EXPECT_EQ(response.result_int(), 500);
  nlohmann::json body = JsonOf(response);
  EXPECT_EQ(body["error"]["status"], 500);
  EXPECT_EQ(body["error"]["message"], "internal server error");
  EXPECT_EQ(response.body().find("index.html"), std::string::npos) << response.body();
}

}  // namespace
}  // namespace lockstep::runtime
