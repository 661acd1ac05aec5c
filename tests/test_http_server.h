// A real HttpServer on 127.0.0.1 (a port the system picks) with its own loop thread, for tests
// that point the lockstep binary at a server they control. Its handler runs on the loop
// thread and must be thread-safe with the test. Not thread-safe itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "http/exchange.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace lockstep::http {
class HttpServer;
}  // namespace lockstep::http

namespace lockstep::testing {

class TestHttpServer {
 public:
  explicit TestHttpServer(http::SimpleHandler handler);
  // A handler that streams (exchange.h), for tests of slow, cut or malformed answers.
  explicit TestHttpServer(http::StreamHandler handler);
  ~TestHttpServer();  // stops the server and joins its thread
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string url() const;
  // "127.0.0.1:PORT".
  std::string address() const;

 private:
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace lockstep::testing
