#include "serve_fixture.h"

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lockstep::testing {

namespace {

http::ClientResponse Send(const http::Url& base, const std::string& method,
                          const std::string& target, const std::string& body,
                          const std::optional<std::string>& token) {
  http::ClientRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  if (!body.empty()) request.headers.Set("Content-Type", "application/json");
  if (token) request.headers.Set("Authorization", "Bearer " + *token);
  Result<http::ClientResponse> response = http::Fetch(base, request, std::chrono::seconds(30));
  if (!response) return {.status = 0, .headers = {}, .body = response.error().message()};
  return *response;
}

}  // namespace

ServeFixture::ServeFixture(std::filesystem::path directory,
                           std::vector<std::string> extra_arguments)
    : directory_(std::move(directory)), extra_arguments_(std::move(extra_arguments)) {}

ServeFixture::~ServeFixture() {
  if (server_ && !ProcessIsZombie(server_->pid())) Stop();
}

std::vector<std::string> ServeFixture::environment() const {
  return {"LOCKSTEP_HOME=" + state().string(), "USER=tester"};
}

bool ServeFixture::Start() {
  std::filesystem::remove(state() / "serve.json");
  std::vector<std::string> arguments = {"serve", "--api", "127.0.0.1:0", "--gateway",
                                        "127.0.0.1:0"};
  arguments.insert(arguments.end(), extra_arguments_.begin(), extra_arguments_.end());
  server_ = std::make_unique<BackgroundLockstep>(arguments, directory_, environment());
  // The server writes serve.json once both listeners are up.
  nlohmann::json address;
  bool up = WaitUntil([&] {
    if (ProcessIsZombie(server_->pid())) return true;
    std::ifstream in(state() / "serve.json");
    if (!in) return false;
    std::stringstream text;
    text << in.rdbuf();
    address = nlohmann::json::parse(text.str(), nullptr, false);
    return address.is_object() && address.value("pid", 0) == server_->pid();
  });
  if (!up || ProcessIsZombie(server_->pid())) return false;
  Result<http::Url> api = http::ParseUrl("http://" + address.value("api", ""));
  Result<http::Url> gateway = http::ParseUrl("http://" + address.value("gateway", ""));
  if (!api || !gateway) return false;
  api_ = *api;
  gateway_ = *gateway;
  return true;
}

CommandOutput ServeFixture::Stop() {
  server_->Signal(SIGTERM);
  // Shutdown is bounded by its grace period; a server that overstays it is a failure the
  // caller sees in the exit status, not a hung test.
  if (!WaitUntil([&] { return ProcessIsZombie(server_->pid()); }, std::chrono::seconds(30))) {
    server_->Signal(SIGKILL);
  }
  return server_->Wait();
}

void ServeFixture::Kill() {
  server_->Signal(SIGKILL);
  server_->Wait();
}

std::string ServeFixture::server_output() const { return server_ ? server_->OutputSoFar() : ""; }

CommandOutput ServeFixture::Lockstep(const std::vector<std::string>& arguments) const {
  return RunLockstep(arguments, directory_, environment());
}

http::ClientResponse ServeFixture::Gateway(const std::string& method, const std::string& target,
                                           const std::string& body) const {
  return Send(gateway_, method, target, body, std::nullopt);
}

http::ClientResponse ServeFixture::Api(const std::string& method, const std::string& target,
                                       const std::string& body,
                                       const std::optional<std::string>& token) const {
  return Send(api_, method, target, body, token);
}

std::string ServeFixture::admin_token() const {
  std::ifstream in(state() / "admin-token");
  std::string token;
  in >> token;
  return token;
}

}  // namespace lockstep::testing
