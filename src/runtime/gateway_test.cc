// The gateway end to end in one process: a gateway HttpServer routing by published tables to
// upstream HttpServers and a static site.
#include "runtime/gateway.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/http_server.h"
#include "notification.h"
#include "temp_dir.h"

namespace lockstep::runtime {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;

constexpr milliseconds kWait{10'000};

struct Reply {
  int status = 0;
  std::string body;
  std::string request_id;
};

// One GET on a fresh connection to 127.0.0.1:`port`.
Reply Get(uint16_t port, const std::string& target, const std::string& host = "people.test") {
  net::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
  request.set(bhttp::field::host, host);
  bhttp::write(socket, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(socket, buffer, response);
  return {static_cast<int>(response.result_int()), response.body(),
          std::string(response["X-Request-Id"])};
}

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : work_(net::make_work_guard(io_)), pool_(io_), gateway_(pool_, ProxyOptions{}) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    server_ = std::make_unique<http::HttpServer>(io_, http::ServerOptions{}, gateway_.Handler());
    EXPECT_TRUE(server_->Listen({"127.0.0.1", 0}).has_value());
    port_ = server_->local_endpoint().port;
  }

  ~GatewayTest() override {
    for (auto& server : upstreams_) Stop(*server);
    Stop(*server_);
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }

  void Stop(http::HttpServer& server) {
    testing::Notification stopped;
    server.Stop(milliseconds(2000), [&] { stopped.Notify(); });
    EXPECT_TRUE(stopped.WaitFor(kWait));
  }

  // An upstream that answers every request with `name` and the target it was given.
  uint16_t StartUpstream(const std::string& name) {
    auto handler = http::MakeSimpleHandler([name](const http::Request& request) {
      http::Response response;
      response.status = 200;
      response.body = name + " " + request.head.target;
      return response;
    });
    upstreams_.push_back(std::make_unique<http::HttpServer>(io_, http::ServerOptions{}, handler));
    EXPECT_TRUE(upstreams_.back()->Listen({"127.0.0.1", 0}).has_value());
    return upstreams_.back()->local_endpoint().port;
  }

  static std::shared_ptr<const GatewayTable> Table(
      std::vector<Route> routes, std::unordered_map<std::string, ServiceTarget> targets) {
    auto table = std::make_shared<GatewayTable>();
    Result<RouteTable> made = RouteTable::Make(std::move(routes));
    EXPECT_TRUE(made.has_value()) << made.error().ToString();
    table->routes = std::make_shared<const RouteTable>(std::move(*made));
    table->targets = std::move(targets);
    return table;
  }

  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  UpstreamPool pool_;
  Gateway gateway_;
  std::unique_ptr<http::HttpServer> server_;
  std::vector<std::unique_ptr<http::HttpServer>> upstreams_;
  uint16_t port_ = 0;
};

TEST_F(GatewayTest, RoutesByThePublishedTableAndSwitchesAtOnce) {
  uint16_t blue = StartUpstream("blue");
  uint16_t green = StartUpstream("green");
  gateway_.Publish(Table({{"api", "/api", "", true}}, {{"api", ServiceTarget{blue, {}, {}}}}));
  EXPECT_EQ(Get(port_, "/api/people?page=2").body, "blue /people?page=2");

  // A cutover: one publish, and the very next request goes to the new handler.
  gateway_.Publish(Table({{"api", "/api", "", true}}, {{"api", ServiceTarget{green, {}, {}}}}));
  EXPECT_EQ(Get(port_, "/api/people").body, "green /people");
}

TEST_F(GatewayTest, NoRouteIs404AndNoHealthyHandlerIs503AsJson) {
  gateway_.Publish(Table({{"api", "/api", "", false}}, {{"api", ServiceTarget{}}}));
  Reply missing = Get(port_, "/elsewhere");
  EXPECT_EQ(missing.status, 404);
  nlohmann::json error = nlohmann::json::parse(missing.body);
  EXPECT_EQ(error["error"]["request_id"], missing.request_id);
  EXPECT_FALSE(missing.request_id.empty());
  Reply unavailable = Get(port_, "/api/people");
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(nlohmann::json::parse(unavailable.body)["error"]["status"], 503);
}

TEST_F(GatewayTest, ServesAStaticSiteBesideAnApi) {
  testing::TempDir site;
  site.Write("index.html", "<h1>people</h1>\n");
  Result<std::shared_ptr<const SiteRoot>> root = SiteRoot::Open(site.path());
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  uint16_t api = StartUpstream("api");
  gateway_.Publish(Table(
      {{"web", "/", "", false}, {"api", "/api", "", true}},
      {{"web", ServiceTarget{std::nullopt, *root, {}}}, {"api", ServiceTarget{api, {}, {}}}}));
  EXPECT_EQ(Get(port_, "/").body, "<h1>people</h1>\n");
  EXPECT_EQ(Get(port_, "/api/people").body, "api /people");
  EXPECT_EQ(Get(port_, "/%2e%2e/etc/passwd").status, 403);
}

}  // namespace
}  // namespace lockstep::runtime
