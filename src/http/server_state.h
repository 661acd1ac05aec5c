// Internal to src/server: the state an HttpServer shares with its connections, and the seam
// between the listener (http_server.cc) and the connections (http_session.cc). Connections hold
// a shared_ptr to it, so they may outlive the HttpServer object (until the io_context goes).
// Thread-safe: the mutex guards the fields below it; acceptors are used on `control` only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "http/http_server.h"

namespace lockstep::http {

// One connection, as the listener sees it. The Post* methods may be called from any thread;
// they act on the connection's own strand.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection if it is waiting for a request; otherwise lets the exchange finish
  // and closes after it.
  virtual void PostStop() = 0;
  // Closes the connection now; a handler's next call on its exchange fails.
  virtual void PostForceClose() = 0;
};

// Starts serving `socket` (whose executor is a strand of its own) on a new connection.
void StartConnection(std::shared_ptr<HttpServer::State> state, boost::asio::ip::tcp::socket socket);

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(boost::asio::io_context& io_context, ServerOptions server_options,
        StreamHandler stream_handler)
      : io(io_context),
        options(std::move(server_options)),
        handler(std::move(stream_handler)),
        control(boost::asio::make_strand(io_context)) {}

  // Records a new connection. Returns its id, or 0 when the server is stopping (the caller
  // then closes it).
  uint64_t Register(std::weak_ptr<Connection> connection);
  // Forgets a connection; may complete a Stop.
  void Unregister(uint64_t id);
  bool stopping() const;

  void BeginStop(std::chrono::milliseconds grace, std::function<void()> on_stopped);
  // Runs on_stopped once when stopping and no connection is left.
  void MaybeFinish();
  // At the end of the grace period: closes what is left and runs on_stopped.
  void ForceCloseAll();

  boost::asio::io_context& io;
  const ServerOptions options;
  const StreamHandler handler;
  boost::asio::strand<boost::asio::io_context::executor_type> control;
  std::unique_ptr<boost::asio::steady_timer> stop_timer;  // used on `control` only

  mutable std::mutex mutex;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors;
  std::vector<Endpoint> endpoints;
  std::map<uint64_t, std::weak_ptr<Connection>> connections;
  uint64_t next_connection_id = 1;
  bool is_stopping = false;
  bool finished = false;
  std::vector<std::function<void()>> on_stopped;  // run once each when stopped
};

}  // namespace lockstep::http
