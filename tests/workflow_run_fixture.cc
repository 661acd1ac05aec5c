#include "workflow_run_fixture.h"

#include <fstream>

namespace lockstep::testing {

void WorkflowRunTest::SetUp() {
  repo_.Write("VERSION", "1.4.2\n");
  repo_.Write("src/app.sh", "#!/bin/sh\necho hello from app\n");
}

std::vector<std::string> WorkflowRunTest::Env(std::vector<std::string> extra) const {
  extra.push_back("LOCKSTEP_HOME=" + state_.path().string());
  return extra;
}

CommandOutput WorkflowRunTest::Lockstep(const std::vector<std::string>& arguments,
                                        std::vector<std::string> extra_env) const {
  return RunLockstep(arguments, repo_.path(), Env(std::move(extra_env)));
}

void WorkflowRunTest::Workflow(const std::string& file, std::string_view yaml) {
  repo_.Write(".codecatalyst/workflows/" + file, std::string(yaml));
}

nlohmann::json WorkflowRunTest::Runs() const {
  CommandOutput runs = Lockstep({"runs", "--json"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  return nlohmann::json::parse(runs.out);
}

std::string WorkflowRunTest::RunState(int64_t id) const {
  for (const auto& run : Runs())
    if (run["id"] == id) return run["state"];
  return "missing";
}

std::string WorkflowRunTest::WaitForFile(const std::string& name) const {
  return "for i in $(seq 1 600); do [ -e " + (state_.path() / name).string() +
         " ] && break; sleep 0.05; done";
}

void WorkflowRunTest::Touch(const std::string& name) const {
  std::ofstream(state_.path() / name) << "go\n";
}

bool WorkflowRunTest::Exists(const std::string& name) const {
  return std::filesystem::exists(state_.path() / name);
}

std::string WorkflowRunTest::OneAction(const std::string& name, const std::string& steps,
                                       const std::string& extra_top) {
  return "Name: " + name + "\nSchemaVersion: \"1.0\"\n" + extra_top +
         "Actions:\n  Only:\n    Identifier: aws/build@v1\n    Configuration:\n      Steps:\n" +
         steps;
}

}  // namespace lockstep::testing
