#include "test_http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "http/http_server.h"

namespace lockstep::testing {

TestHttpServer::TestHttpServer(http::SimpleHandler handler)
    : TestHttpServer(http::MakeSimpleHandler(std::move(handler))) {}

TestHttpServer::TestHttpServer(http::StreamHandler handler)
    : io_(std::make_unique<boost::asio::io_context>()) {
  server_ = std::make_unique<http::HttpServer>(*io_, http::ServerOptions{}, std::move(handler));
  Result<void> listening = server_->Listen({"127.0.0.1", 0});
  EXPECT_TRUE(listening.has_value()) << listening.error().ToString();
  if (!listening) return;
  port_ = server_->local_endpoint().port;
  // The accept loop keeps the io_context busy until Stop.
  thread_ = std::thread([this] { io_->run(); });
}

TestHttpServer::~TestHttpServer() {
  server_->Stop(std::chrono::milliseconds(0));
  io_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

std::string TestHttpServer::url() const { return "http://" + address(); }

std::string TestHttpServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

}  // namespace lockstep::testing
