// A fixture for tests that run workflows through the real lockstep binary: a git repository
// to hold them, a private state directory (LOCKSTEP_HOME), and helpers to read runs back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "git_fixture.h"
#include "run_binary.h"
#include "temp_dir.h"

namespace lockstep::testing {

class WorkflowRunTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // LOCKSTEP_HOME pointing at the state directory, plus `extra`.
  std::vector<std::string> Env(std::vector<std::string> extra = {}) const;
  // Runs lockstep in the repository.
  CommandOutput Lockstep(const std::vector<std::string>& arguments,
                         std::vector<std::string> extra_env = {}) const;
  // Writes .codecatalyst/workflows/`file`.
  void Workflow(const std::string& file, std::string_view yaml);
  // `lockstep runs --json`, and one run's state from it ("missing" when absent).
  nlohmann::json Runs() const;
  std::string RunState(int64_t id) const;
  // A shell loop that waits (bounded, 30 s) until the test creates `name` in the state folder.
  std::string WaitForFile(const std::string& name) const;
  void Touch(const std::string& name) const;
  bool Exists(const std::string& name) const;
  // A workflow named `name` with one aws/build action "Only" whose Steps are `steps` (YAML
  // list lines, indented by 8), and `extra_top` lines before Actions.
  static std::string OneAction(const std::string& name, const std::string& steps,
                               const std::string& extra_top = "");

  GitFixture repo_;
  TempDir state_;
};

}  // namespace lockstep::testing
