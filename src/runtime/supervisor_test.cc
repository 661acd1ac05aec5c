#include "runtime/supervisor.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "background_process.h"
#include "exec/spawn_posix.h"
#include "exec/subprocess_set.h"
#include "runtime/health_probe.h"
#include "temp_dir.h"

namespace lockstep::runtime {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
using testing::WaitUntil;

// One supervisor on a real store and a real event loop, with releases made of the test
// handler program (tests/tools/test_handler.cc).
class SupervisorTest : public ::testing::Test {
 protected:
  SupervisorTest() : work_(net::make_work_guard(io_)), pool_(io_), gateway_(pool_, {}) {
    std::filesystem::create_directories(state());
    auto store = store::OpenSqliteRuntimeStore(state() / "state.db");
    EXPECT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~SupervisorTest() override {
    if (supervisor_) Await(supervisor_->Shutdown(milliseconds(2000)));
    supervisor_.reset();
    work_.reset();
    io_.stop();
    for (std::thread& thread : threads_) thread.join();
  }

  std::filesystem::path state() const { return temp_.path() / "state"; }

  Supervisor& supervisor(SupervisorOptions options = {}) {
    if (!supervisor_) {
      options.state_directory = state();
      options.base_environment = {"PATH=/usr/bin:/bin"};
      supervisor_ = std::make_unique<Supervisor>(io_, *store_, gateway_, options);
    }
    return *supervisor_;
  }

  template <typename T>
  T Await(net::awaitable<T> awaitable) {
    return net::co_spawn(io_, std::move(awaitable), net::use_future).get();
  }
  void Await(net::awaitable<void> awaitable) {
    net::co_spawn(io_, std::move(awaitable), net::use_future).get();
  }

  // A release directory whose chain runs the test handler once per entry of `candidates`
  // (name → arguments); `version` makes its content, and so its release, distinct.
  std::filesystem::path Release(
      const std::string& version,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& candidates) {
    std::string yaml = "handlers:\n";
    for (const auto& [name, arguments] : candidates) {
      std::vector<std::string> command = {LOCKSTEP_TEST_HANDLER};
      command.insert(command.end(), arguments.begin(), arguments.end());
      yaml +=
          fmt::format("  - name: {}\n    command: [\"{}\"]\n", name, fmt::join(command, "\", \""));
    }
    std::string directory = "releases-in/" + version;
    temp_.Write(directory + "/lockstep.release.yaml", yaml);
    temp_.Write(directory + "/version.txt", version);
    return temp_.path() / directory;
  }

  static ServiceSpec HttpService(const std::string& name = "api") {
    ServiceSpec spec;
    spec.name = name;
    spec.route = {.service = name, .path_prefix = "/" + name};
    spec.health.path = "/health";
    spec.health.interval = milliseconds(100);
    spec.health.timeout = milliseconds(100);
    spec.health.unhealthy_threshold = 2;
    spec.start_timeout = milliseconds(3000);
    spec.drain_timeout = milliseconds(1000);
    return spec;
  }

  Result<store::DeploymentRecord> Deploy(const std::filesystem::path& directory,
                                         std::optional<ServiceSpec> spec = HttpService()) {
    DeployRequest request{.service = spec ? spec->name : "api",
                          .spec = spec,
                          .directory = directory,
                          .actor = "test"};
    return Await(supervisor().Deploy(std::move(request)));
  }

  store::ServiceRecord Service(const std::string& name = "api") {
    auto record = store_->GetService(name);
    EXPECT_TRUE(record) << record.error().message();
    return record.value_or(store::ServiceRecord{});
  }

  std::vector<HandlerStatus> Handlers() { return Await(supervisor().Handlers()); }

  std::optional<HandlerStatus> HandlerWithRole(const std::string& role) {
    for (const HandlerStatus& handler : Handlers()) {
      if (handler.role == role) return handler;
    }
    return std::nullopt;
  }

  // The port the gateway routes the service to now.
  std::optional<uint16_t> RoutedPort(const std::string& name = "api") {
    auto table = gateway_.table();
    if (!table) return std::nullopt;
    auto it = table->targets.find(name);
    return it == table->targets.end() ? std::nullopt : it->second.port;
  }

  bool HasEvent(const std::string& kind, const std::string& name = "api") {
    auto events = store_->ListEvents(name, 200);
    return events && std::ranges::any_of(*events, [&](const store::ServiceEvent& event) {
             return event.kind == kind;
           });
  }

  testing::TempDir temp_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  UpstreamPool pool_;
  Gateway gateway_;
  std::unique_ptr<store::RuntimeStore> store_;
  std::unique_ptr<Supervisor> supervisor_;
  std::vector<std::thread> threads_;
};

TEST_F(SupervisorTest, DeploysTheFirstCandidateAndRoutesToIt) {
  auto deployment = Deploy(Release("v1", {{"web", {}}}));
  ASSERT_TRUE(deployment) << deployment.error().message();
  EXPECT_EQ(deployment->state, store::DeploymentState::kSucceeded) << deployment->reason;
  EXPECT_EQ(deployment->handler, "web");
  store::ServiceRecord service = Service();
  EXPECT_EQ(service.serving.release, deployment->release);
  EXPECT_EQ(service.serving.handler, "web");
  EXPECT_EQ(service.serving.status, "serving");
  std::optional<HandlerStatus> active = HandlerWithRole("active");
  ASSERT_TRUE(active);
  EXPECT_EQ(RoutedPort(), active->port);
  Result<int> status = Await(ProbeHealth(active->port, "/health", milliseconds(1000)));
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(*status, 200);
  // The process is recorded with its group, for a restarted server to find.
  auto processes = store_->ListHandlerProcesses();
  ASSERT_TRUE(processes);
  ASSERT_EQ(processes->size(), 1u);
  EXPECT_EQ((*processes)[0].process_group, active->pid);
  EXPECT_EQ((*processes)[0].role, "active");
}

TEST_F(SupervisorTest, FallsBackAlongTheChainAndRecordsEachReason) {
  ServiceSpec spec = HttpService();
  spec.start_timeout = milliseconds(600);
  auto deployment = Deploy(Release("v1", {{"integrated", {"--exit-code", "7"}},
                                          {"enhanced", {"--no-listen"}},
                                          {"legacy", {}}}),
                           spec);
  ASSERT_TRUE(deployment) << deployment.error().message();
  EXPECT_EQ(deployment->state, store::DeploymentState::kSucceeded);
  EXPECT_EQ(deployment->handler, "legacy");
  ASSERT_EQ(deployment->candidates.size(), 3u);
  EXPECT_EQ(deployment->candidates[0].outcome, "exited with code 7");
  EXPECT_TRUE(deployment->candidates[1].outcome.starts_with("not healthy within 600ms"))
      << deployment->candidates[1].outcome;
  EXPECT_EQ(deployment->candidates[2].outcome, "healthy");
  // The failed candidates are gone; only the one serving runs.
  std::vector<HandlerStatus> handlers = Handlers();
  ASSERT_EQ(handlers.size(), 1u);
  EXPECT_EQ(handlers[0].handler, "legacy");
}

TEST_F(SupervisorTest, AFailedDeploymentLeavesTheOldReleaseServing) {
  auto first = Deploy(Release("v1", {{"web", {}}}));
  ASSERT_TRUE(first && first->state == store::DeploymentState::kSucceeded);
  std::optional<HandlerStatus> old = HandlerWithRole("active");
  ASSERT_TRUE(old);
  ServiceSpec spec = HttpService();
  spec.start_timeout = milliseconds(500);
  auto second = Deploy(Release("v2", {{"web", {"--health-status", "500"}}}), spec);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->state, store::DeploymentState::kFailed);
  EXPECT_NE(second->reason.find("/health answered 500"), std::string::npos) << second->reason;
  EXPECT_EQ(Service().serving.release, first->release);
  std::optional<HandlerStatus> still = HandlerWithRole("active");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->pid, old->pid);
  EXPECT_EQ(RoutedPort(), old->port);
}

TEST_F(SupervisorTest, KeepsThePreviousReleaseWarmSoThatRollbackIsARouteSwitch) {
  auto first = Deploy(Release("v1", {{"web", {}}}));
  ASSERT_TRUE(first && first->state == store::DeploymentState::kSucceeded);
  int first_pid = HandlerWithRole("active")->pid;
  auto second = Deploy(Release("v2", {{"web", {}}}));
  ASSERT_TRUE(second && second->state == store::DeploymentState::kSucceeded);
  EXPECT_NE(second->release, first->release);
  std::optional<HandlerStatus> warm = HandlerWithRole("warm");
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->pid, first_pid);
  EXPECT_EQ(Service().serving.previous_release, first->release);

  auto rollback = Await(supervisor().Rollback("api", "", "test"));
  ASSERT_TRUE(rollback) << rollback.error().message();
  EXPECT_EQ(rollback->state, store::DeploymentState::kSucceeded);
  EXPECT_EQ(rollback->kind, store::DeploymentKind::kRollback);
  EXPECT_EQ(rollback->release, first->release);
  ASSERT_FALSE(rollback->candidates.empty());
  EXPECT_EQ(rollback->candidates[0].outcome, "healthy (kept warm)");
  std::optional<HandlerStatus> active = HandlerWithRole("active");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->pid, first_pid);  // the same process, not a new one
  EXPECT_EQ(RoutedPort(), active->port);
  EXPECT_EQ(Service().serving.previous_release, second->release);
}

TEST_F(SupervisorTest, RollbackAfterTheWarmWindowStartsTheOldReleaseAgain) {
  SupervisorOptions options;
  options.warm_window = milliseconds(0);
  supervisor(options);
  auto first = Deploy(Release("v1", {{"web", {}}}));
  auto second = Deploy(Release("v2", {{"web", {}}}));
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(WaitUntil([&] { return Handlers().size() == 1; }));
  auto rollback = Await(supervisor().Rollback("api", first->release, "test"));
  ASSERT_TRUE(rollback) << rollback.error().message();
  EXPECT_EQ(rollback->state, store::DeploymentState::kSucceeded);
  EXPECT_EQ(rollback->candidates[0].outcome, "healthy");
  EXPECT_EQ(Service().serving.release, first->release);
}

TEST_F(SupervisorTest, RestartsAHandlerThatExitsOnce) {
  std::filesystem::path crash = temp_.path() / "crash-now";
  auto deployment = Deploy(Release("v1", {{"web", {"--crash-when", crash.string()}}}));
  ASSERT_TRUE(deployment && deployment->state == store::DeploymentState::kSucceeded);
  int first_pid = HandlerWithRole("active")->pid;
  std::ofstream(crash).put('x');
  ASSERT_TRUE(WaitUntil([&] { return HasEvent("handler-failed"); }));
  std::filesystem::remove(crash);
  ASSERT_TRUE(WaitUntil([&] { return HasEvent("restarted"); }));
  std::optional<HandlerStatus> active = HandlerWithRole("active");
  ASSERT_TRUE(active);
  EXPECT_NE(active->pid, first_pid);
  EXPECT_EQ(active->handler, "web");
  EXPECT_EQ(RoutedPort(), active->port);
  EXPECT_EQ(Service().serving.status, "serving");
}

TEST_F(SupervisorTest, ACrashLoopMovesToTheNextCandidateThenBackToThePreviousRelease) {
  auto first = Deploy(Release("v1", {{"web", {}}}));
  ASSERT_TRUE(first && first->state == store::DeploymentState::kSucceeded);
  int first_pid = HandlerWithRole("active")->pid;
  std::filesystem::path crash_integrated = temp_.path() / "crash-integrated";
  std::filesystem::path crash_enhanced = temp_.path() / "crash-enhanced";
  auto second = Deploy(Release("v2", {{"integrated", {"--crash-when", crash_integrated}},
                                      {"enhanced", {"--crash-when", crash_enhanced}}}));
  ASSERT_TRUE(second && second->state == store::DeploymentState::kSucceeded);
  EXPECT_EQ(second->handler, "integrated");

  std::ofstream(crash_integrated).put('x');  // every restart crashes too: a crash loop
  ASSERT_TRUE(WaitUntil([&] { return Service().serving.handler == "enhanced"; }));
  EXPECT_TRUE(HasEvent("crash-loop"));
  EXPECT_EQ(Service().serving.release, second->release);
  auto failover = store_->ListDeployments("api", 1);
  ASSERT_TRUE(failover && !failover->empty());
  EXPECT_EQ((*failover)[0].kind, store::DeploymentKind::kFailover);

  std::ofstream(crash_enhanced).put('x');  // the chain is exhausted: back to v1, still warm
  ASSERT_TRUE(WaitUntil([&] { return Service().serving.release == first->release; }));
  std::optional<HandlerStatus> active = HandlerWithRole("active");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->pid, first_pid);
  EXPECT_EQ(RoutedPort(), active->port);
  EXPECT_TRUE(HasEvent("restore-previous"));
}

TEST_F(SupervisorTest, AHandlerThatCrashesSoonAfterBecomingHealthyGivesWayToTheNext) {
  auto deployment = Deploy(
      Release("v1", {{"flaky", {"--crash-after-ms", "300"}}, {"stable", {"--message", "steady"}}}));
  ASSERT_TRUE(deployment && deployment->state == store::DeploymentState::kSucceeded);
  EXPECT_EQ(deployment->handler, "flaky");  // healthy at first
  // Each restart crashes again after 300 ms: a crash loop, then the next candidate.
  ASSERT_TRUE(WaitUntil([&] { return Service().serving.handler == "stable"; }));
  EXPECT_TRUE(HasEvent("restart"));
  EXPECT_TRUE(HasEvent("crash-loop"));
  std::optional<HandlerStatus> active = HandlerWithRole("active");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->handler, "stable");
  EXPECT_EQ(RoutedPort(), active->port);
}

TEST_F(SupervisorTest, TwoBrokenReleasesDoNotTakeTurns) {
  std::filesystem::path crash_one = temp_.path() / "crash-one";
  std::filesystem::path crash_two = temp_.path() / "crash-two";
  auto first = Deploy(Release("v1", {{"web", {"--crash-when", crash_one}}}));
  auto second = Deploy(Release("v2", {{"web", {"--crash-when", crash_two}}}));
  ASSERT_TRUE(first && second && second->state == store::DeploymentState::kSucceeded);
  std::ofstream(crash_two).put('x');  // v2 crash-loops: back to v1
  ASSERT_TRUE(WaitUntil([&] {
    store::ServiceRecord service = Service();
    return service.serving.release == first->release && service.serving.status == "serving";
  }));
  std::ofstream(crash_one).put('x');  // v1 crash-loops too: v2 is not tried again
  ASSERT_TRUE(WaitUntil([&] { return Service().serving.status == "failed"; }));
  EXPECT_EQ(Service().serving.release, first->release);
  EXPECT_EQ(RoutedPort(), std::nullopt);  // 503, not a broken handler
  auto deployments = store_->ListDeployments("api", 50);
  ASSERT_TRUE(deployments);
  int restores_of_v2 = 0;
  for (const store::DeploymentRecord& deployment : *deployments) {
    if (deployment.kind == store::DeploymentKind::kFailover &&
        deployment.release == second->release) {
      ++restores_of_v2;
    }
  }
  EXPECT_EQ(restores_of_v2, 0);
}

TEST_F(SupervisorTest, DeploymentsOfOneServiceRunOneAtATime) {
  Deploy(Release("v0", {{"web", {}}}));
  auto a = net::co_spawn(
      io_,
      supervisor().Deploy(
          {.service = "api", .directory = Release("v1", {{"web", {}}}), .actor = "a"}),
      net::use_future);
  auto b = net::co_spawn(
      io_,
      supervisor().Deploy(
          {.service = "api", .directory = Release("v2", {{"web", {}}}), .actor = "b"}),
      net::use_future);
  auto first = a.get();
  auto second = b.get();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->state, store::DeploymentState::kSucceeded);
  EXPECT_EQ(second->state, store::DeploymentState::kSucceeded);
  // Whichever ran second started after the other had finished.
  const auto& earlier = *first->started_at <= *second->started_at ? *first : *second;
  const auto& later = &earlier == &*first ? *second : *first;
  EXPECT_GE(*later.started_at, *earlier.finished_at);
  EXPECT_EQ(later.from_release, earlier.release);
}

TEST_F(SupervisorTest, RefusesBadRequestsBeforeAnythingRuns) {
  // A new service needs its definition.
  auto unknown = Deploy(Release("v1", {{"web", {}}}), std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message().find("--route"), std::string::npos);
  // An http service needs a chain.
  temp_.Write("bare/index.html", "hi");
  auto bare = Deploy(temp_.path() / "bare");
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message().find("lockstep.release.yaml"), std::string::npos);
  // Two services cannot share a route.
  ASSERT_TRUE(Deploy(Release("v1", {{"web", {}}})));
  ServiceSpec other = HttpService("other");
  other.route.path_prefix = "/api";
  auto clash = Deploy(Release("v2", {{"web", {}}}), other);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), ErrorCode::kInvalidArgument);
  auto deployments = store_->ListDeployments("", 10);
  ASSERT_TRUE(deployments);
  EXPECT_EQ(deployments->size(), 1u);
}

TEST_F(SupervisorTest, ServesAStaticSiteAndRollsItBack) {
  ServiceSpec site;
  site.name = "web";
  site.kind = ServiceSpec::Kind::kStatic;
  site.route = {.service = "web", .path_prefix = "/"};
  temp_.Write("site1/index.html", "one");
  temp_.Write("site2/index.html", "two");
  auto first = Deploy(temp_.path() / "site1", site);
  auto second = Deploy(temp_.path() / "site2", site);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->state, store::DeploymentState::kSucceeded);
  auto target = gateway_.table()->targets.at("web");
  ASSERT_TRUE(target.site);
  auto rollback = Await(supervisor().Rollback("web", "", "test"));
  ASSERT_TRUE(rollback);
  EXPECT_EQ(rollback->state, store::DeploymentState::kSucceeded);
  EXPECT_EQ(Service("web").serving.release, first->release);
  EXPECT_NE(gateway_.table()->targets.at("web").site, target.site);
}

TEST_F(SupervisorTest, RestoreStopsLeftoverProcessesAndBringsTheServiceBack) {
  auto deployment = Deploy(Release("v1", {{"web", {}}}));
  ASSERT_TRUE(deployment && deployment->state == store::DeploymentState::kSucceeded);
  // A handler process a dead server left: running, recorded, not ours.
  exec::ProcessSpec spec;
  spec.argv = {LOCKSTEP_TEST_HANDLER, "--no-listen"};
  spec.working_directory = temp_.path();
  auto leftover = exec::SpawnProcess(spec);
  ASSERT_TRUE(leftover);
  uint64_t start = exec::StartTimeOf(leftover->pid);
  ASSERT_TRUE(store_->PutHandlerProcess({.process_group = leftover->pid,
                                         .start_time = start,
                                         .service = "api",
                                         .release = deployment->release,
                                         .handler = "web",
                                         .port = 1,
                                         .role = "active"}));
  // A new supervisor on the same store, as after a restart.
  Await(supervisor().Shutdown(milliseconds(2000)));
  supervisor_.reset();
  Result<void> restored = Await(supervisor().Restore());
  ASSERT_TRUE(restored) << restored.error().message();
  EXPECT_TRUE(WaitUntil([&] { return testing::ProcessIsZombie(leftover->pid); }));
  ASSERT_TRUE(WaitUntil([&] { return HandlerWithRole("active").has_value(); }));
  EXPECT_EQ(Service().serving.release, deployment->release);
  EXPECT_TRUE(HasEvent("leftover-stopped"));
  auto latest = store_->ListDeployments("api", 1);
  ASSERT_TRUE(latest && !latest->empty());
  EXPECT_EQ((*latest)[0].kind, store::DeploymentKind::kRestore);
  EXPECT_EQ((*latest)[0].state, store::DeploymentState::kSucceeded);
  ::waitpid(leftover->pid, nullptr, 0);
}

}  // namespace
}  // namespace lockstep::runtime
