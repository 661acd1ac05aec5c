#include "http/client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "http/http_server.h"
#include "test_http_server.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

constexpr milliseconds kTimeout{10'000};  // for exchanges that are expected to succeed

TEST(ParseUrlTest, ReadsHostPortAndPrefix) {
  Result<Url> url = ParseUrl("http://127.0.0.1:7400");
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 7400);
  EXPECT_EQ(url->prefix, "");
  EXPECT_EQ(url->ToString(), "http://127.0.0.1:7400");

  url = ParseUrl("HTTP://gateway.local/base/path/");
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  EXPECT_EQ(url->host, "gateway.local");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->prefix, "/base/path");
  EXPECT_EQ(url->Authority(), "gateway.local:80");

  url = ParseUrl("http://[::1]:8080/");
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->prefix, "");
  EXPECT_EQ(url->ToString(), "http://[::1]:8080");
}

TEST(ParseUrlTest, SaysWhatIsWrong) {
  auto error = [](std::string_view text) {
    Result<Url> url = ParseUrl(text);
    return url ? std::string("parsed") : url.error().message();
  };
  EXPECT_EQ(error("https://example.com"),
            "invalid URL 'https://example.com': https is not supported, only http; expected "
            "http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("127.0.0.1:8080"),
            "invalid URL '127.0.0.1:8080': it must start with http://; expected "
            "http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("http://h:0"),
            "invalid URL 'http://h:0': the port '0' is not a number from 1 to 65535; expected "
            "http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("http://h:99999"),
            "invalid URL 'http://h:99999': the port '99999' is not a number from 1 to 65535; "
            "expected http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("http://:80"),
            "invalid URL 'http://:80': the host is missing; expected http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("http://h/x?y=1"),
            "invalid URL 'http://h/x?y=1': a base URL has no query or fragment; expected "
            "http://HOST[:PORT][/PREFIX]");
  EXPECT_EQ(error("http://[::1/"),
            "invalid URL 'http://[::1/': an IPv6 address lacks its ']'; expected "
            "http://HOST[:PORT][/PREFIX]");
  // Neither a password nor a control character is repeated back.
  std::string credentials = error("http://admin:hunter2@h/");
  EXPECT_EQ(credentials.find("hunter2"), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("credentials"), std::string::npos) << credentials;
  EXPECT_EQ(error("http://h/\nx"),
            "invalid URL: it holds spaces or control characters; expected "
            "http://HOST[:PORT][/PREFIX]");
}

// A real HttpServer on 127.0.0.1 with its own loop thread.
class FetchTest : public ::testing::Test {
 protected:
  void Start(StreamHandler handler) {
    server_ = std::make_unique<testing::TestHttpServer>(std::move(handler));
    url_.host = "127.0.0.1";
    url_.port = server_->port();
  }

  std::unique_ptr<testing::TestHttpServer> server_;
  Url url_;
};

TEST_F(FetchTest, SendsMethodTargetHeadersAndBodyAndReadsTheResponse) {
  Start(MakeSimpleHandler([](const Request& request) {
    Response response;
    response.status = 201;
    response.headers.Set("Content-Type", "text/plain");
    response.headers.Set("Seen-Token",
                         std::string(request.head.headers.Find("X-Token").value_or("")));
    response.headers.Set("Seen-Host", std::string(request.head.headers.Find("Host").value_or("")));
    response.body = request.head.method + " " + request.head.target + " " + request.body;
    return response;
  }));
  url_.prefix = "/base";
  ClientRequest request;
  request.method = "POST";
  request.target = "/people?x=1";
  request.headers.Add("X-Token", "t-1");
  request.body = "{\"first_name\":\"Ada\"}";

  Result<ClientResponse> response = Fetch(url_, request, kTimeout);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "POST /base/people?x=1 {\"first_name\":\"Ada\"}");
  EXPECT_EQ(response->headers.Find("content-type"), "text/plain");
  EXPECT_EQ(response->headers.Find("Seen-Token"), "t-1");
  EXPECT_EQ(response->headers.Find("Seen-Host"), url_.Authority());
}

TEST_F(FetchTest, DecodesAChunkedBodyAndSkipsTheBodyOfAHeadResponse) {
  Start([](Exchange& exchange) -> net::awaitable<void> {
    ResponseHead head;
    head.headers.Set("Content-Type", "text/plain");
    Result<void> sent = co_await exchange.WriteHead(head);
    if (!sent) co_return;
    for (std::string_view piece : {"one,", "two,", "three"}) {
      Result<void> written = co_await exchange.WriteBodyChunk(piece);
      if (!written) co_return;
    }
  });
  Result<ClientResponse> response = Fetch(url_, ClientRequest{}, kTimeout);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "one,two,three");

  ClientRequest head;
  head.method = "HEAD";
  response = Fetch(url_, head, kTimeout);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
}

TEST_F(FetchTest, RefusesABodyOverTheLimit) {
  Start(MakeSimpleHandler([](const Request&) {
    Response response;
    response.body = std::string(2048, 'x');
    return response;
  }));
  FetchLimits limits;
  limits.max_body_bytes = 1024;
  Result<ClientResponse> response = Fetch(url_, ClientRequest{}, kTimeout, limits);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().message(),
            fmt::format("the response body from {} is over the limit of 1 KiB", url_.Authority()));

  limits.max_body_bytes = 2048;
  response = Fetch(url_, ClientRequest{}, kTimeout, limits);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_EQ(response->body.size(), 2048u);
}

TEST(FetchErrorTest, SaysTheConnectionWasRefused) {
  // A port that was just free: bound, then closed, so nothing listens on it.
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  Url url{"127.0.0.1", acceptor.local_endpoint().port(), ""};
  acceptor.close();
  Result<ClientResponse> response = Fetch(url, ClientRequest{}, kTimeout);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message(),
            fmt::format("connecting to 127.0.0.1:{}: connection refused", url.port));
}

TEST(FetchErrorTest, GivesUpOnAServerThatNeverAnswers) {
  // The kernel completes connections into the backlog; nobody ever reads or answers.
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  acceptor.listen();
  Url url{"127.0.0.1", acceptor.local_endpoint().port(), ""};
  ClientRequest request;
  request.method = "POST";
  request.body = "secret-body";
  request.headers.Add("Authorization", "Bearer secret-token");
  auto start = std::chrono::steady_clock::now();
  Result<ClientResponse> response = Fetch(url, request, milliseconds(300));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kCancelled);
  EXPECT_EQ(response.error().message(),
            fmt::format("no response from 127.0.0.1:{} within 300ms", url.port));
  EXPECT_GE(elapsed, milliseconds(300));
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST(FetchErrorTest, SaysTheServerClosedWithoutAResponse) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  acceptor.listen();
  Url url{"127.0.0.1", acceptor.local_endpoint().port(), ""};
  std::thread closer([&] {
    tcp::socket socket = acceptor.accept();
    // Read the request head so that closing sends FIN rather than a reset.
    std::array<char, 1024> buffer;
    boost::system::error_code ec;
    socket.read_some(net::buffer(buffer), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  });
  Result<ClientResponse> response = Fetch(url, ClientRequest{}, kTimeout);
  closer.join();
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message(),
            fmt::format("127.0.0.1:{} closed the connection without a response", url.port));
}

TEST(FetchErrorTest, ReportsAMalformedResponse) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  acceptor.listen();
  Url url{"127.0.0.1", acceptor.local_endpoint().port(), ""};
  std::thread server([&] {
    tcp::socket socket = acceptor.accept();
    std::array<char, 1024> buffer;
    boost::system::error_code ec;
    socket.read_some(net::buffer(buffer), ec);
    net::write(socket, net::buffer(std::string_view("SMTP/1.0 hello\r\n\r\n")), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  });
  Result<ClientResponse> response = Fetch(url, ClientRequest{}, kTimeout);
  server.join();
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(response.error().message().starts_with(
      fmt::format("malformed response from 127.0.0.1:{}: ", url.port)))
      << response.error().message();
}

TEST(FetchErrorTest, RefusesARequestThatCannotBeSentAsGivenWithoutEchoingValues) {
  Url url{"127.0.0.1", 9, ""};
  ClientRequest request;
  request.headers.Add("Authorization", "Bearer secret\r\nX-Injected: 1");
  Result<ClientResponse> response = Fetch(url, request, kTimeout);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().message(),
            "the value of header 'Authorization' holds a control character (a line break?)");

  request = ClientRequest{};
  request.method = "GE T";
  response = Fetch(url, request, kTimeout);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().message(), "'GE T' is not an HTTP method");

  request = ClientRequest{};
  request.target = "/a b";
  response = Fetch(url, request, kTimeout);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().message(),
            "the request target must start with '/' and hold no spaces or control characters");
}

}  // namespace
}  // namespace lockstep::http
