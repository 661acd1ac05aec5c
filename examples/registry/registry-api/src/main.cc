// registry-api: PORT and DATA_DIR from the environment; serves on 127.0.0.1:$PORT with the
// people in $DATA_DIR/people.db. Stops on SIGINT or SIGTERM.
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "handler.h"
#include "server.h"
#include "store.h"

int main() {
  const char* port_text = std::getenv("PORT");
  const char* data_dir = std::getenv("DATA_DIR");
  unsigned short port = 0;
  if (!port_text ||
      std::from_chars(port_text, port_text + std::strlen(port_text), port).ec != std::errc() ||
      port == 0) {
    std::cerr << "registry-api: error: PORT must be set to a port number (1-65535)\n";
    return 2;
  }
  if (!data_dir || !*data_dir) {
    std::cerr << "registry-api: error: DATA_DIR must be set to the data directory\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "registry-api: error: " << data_dir << ": " << ec.message() << "\n";
    return 1;
  }
  std::string error;
  std::optional<registry::Store> store =
      registry::Store::Open((std::filesystem::path(data_dir) / "people.db").string(), &error);
  if (!store) {
    std::cerr << "registry-api: error: " << error << "\n";
    return 1;
  }
  registry::Handler handler(&*store);
  boost::asio::io_context io;
  boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::address_v4::loopback(), port);
  if (!registry::StartServer(io, endpoint, &handler, &error)) {
    std::cerr << "registry-api: error: cannot listen on " << error << "\n";
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  std::cout << "registry-api listening on 127.0.0.1:" << port << std::endl;
  io.run();
  return 0;
}
