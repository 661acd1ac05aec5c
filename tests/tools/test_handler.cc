// A handler process for the runtime's tests: a small HTTP/1.1 server on 127.0.0.1:$PORT whose
// misbehaviour is chosen by its arguments, so that tests can deploy real processes that are
// healthy, never healthy, exit at once, crash later, or crash on demand.
//
//   --exit-code N          exit with N at once, before listening
//   --no-listen            run without ever listening (never healthy)
//   --health-status N      answer N to /health (default 200)
//   --crash-after-ms N     exit with 3 N ms after starting
//   --crash-when FILE      exit with 4 as soon as FILE exists (checked every 10 ms)
//   --message TEXT         included in every answer to /
//
//   GET /              {"handler": $LOCKSTEP_HANDLER, "release": $LOCKSTEP_RELEASE, "message": …}
//   GET /health        the health status
//   GET /slow?ms=N     answers after N ms (for draining)
//   POST /visit        appends a line to $DATA_DIR/visits and answers the line count
//
// SIGTERM: stop accepting, finish the requests in progress, exit 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace {

std::atomic<int> in_flight{0};
std::atomic<bool> stopping{false};
int health_status = 200;
std::string message;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

void Send(int fd, int status, const std::string& body) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " +
                         "application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n" + body;
  size_t sent = 0;
  while (sent < response.size()) {
    ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

int Visit() {
  std::string path = Env("DATA_DIR") + "/visits";
  std::ofstream(path, std::ios::app) << "visit\n";
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

void Serve(int fd) {
  std::string buffer;
  char chunk[4096];
  while (true) {
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buffer.append(chunk, static_cast<size_t>(n));
    }
    ++in_flight;
    std::string head = buffer.substr(0, end);
    size_t length = 0;
    if (size_t at = head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(head.substr(at + 16));
    }
    while (buffer.size() < end + 4 + length) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    buffer.erase(0, std::min(buffer.size(), end + 4 + length));
    std::string line = head.substr(0, head.find("\r\n"));
    std::string method = line.substr(0, line.find(' '));
    std::string target = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
    if (target == "/health") {
      Send(fd, health_status, "{\"status\":" + std::to_string(health_status) + "}");
    } else if (target.starts_with("/slow?ms=")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(target.substr(9))));
      Send(fd, 200, "{\"slow\":true}");
    } else if (target == "/visit" && method == "POST") {
      Send(fd, 200, "{\"visits\":" + std::to_string(Visit()) + "}");
    } else {
      Send(fd, 200,
           "{\"handler\":\"" + Env("LOCKSTEP_HANDLER") + "\",\"release\":\"" +
               Env("LOCKSTEP_RELEASE") + "\",\"message\":\"" + message + "\",\"target\":\"" +
               target + "\"}");
    }
    --in_flight;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool listen_at_all = true;
  long crash_after_ms = -1;
  std::string crash_when;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--exit-code") return std::atoi(value.c_str());
    if (arg == "--no-listen") listen_at_all = false;
    if (arg == "--health-status") health_status = std::atoi(value.c_str());
    if (arg == "--crash-after-ms") crash_after_ms = std::atol(value.c_str());
    if (arg == "--crash-when") crash_when = value;
    if (arg == "--message") message = value;
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);
  std::thread([term] {
    int signal = 0;
    sigwait(&term, &signal);
    stopping = true;
    while (in_flight > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::_Exit(0);
  }).detach();
  if (crash_after_ms >= 0 || !crash_when.empty()) {
    std::thread([crash_after_ms, crash_when] {
      auto start = std::chrono::steady_clock::now();
      while (true) {
        if (crash_after_ms >= 0 &&
            std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(crash_after_ms)) {
          std::_Exit(3);
        }
        if (!crash_when.empty() && ::access(crash_when.c_str(), F_OK) == 0) std::_Exit(4);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }).detach();
  }
  if (!listen_at_all) {
    while (true) ::pause();
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(std::atoi(Env("PORT").c_str())));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 128) != 0) {
    std::perror("test_handler: listen");
    return 2;
  }
  std::fprintf(stderr, "test_handler %s listening on %s\n", Env("LOCKSTEP_HANDLER").c_str(),
               Env("PORT").c_str());
  while (!stopping) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread(Serve, fd).detach();
  }
}
