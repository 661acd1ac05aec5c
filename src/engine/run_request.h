// What `lockstep run` asks of the engine, what observers are told while it runs, and the
// summary it ends with. Plain values and an observer interface (the UI observes; it never
// drives). Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/secrets.h"
#include "exec/process.h"
#include "store/store.h"

namespace lockstep::engine {

struct RunRequest {
  std::filesystem::path repository = ".";  // any folder inside the work tree
  std::string workflow;                    // the workflow's Name, or its file; unused on resume
  std::string revision = "HEAD";           // the commit the sources come from
  std::optional<store::RunId> resume;      // rerun what did not succeed in this run
  int jobs = 0;                            // actions at once; 0 means the number of cores
  bool keep_going = false;                 // run what does not depend on a failure
  bool skip_cloud = false;                 // mark AWS-only actions skipped instead of refusing
  bool approve = false;                    // approve approval actions of this run
  bool sandbox = false;                    // run every action under bubblewrap
  bool keep_workspaces = false;            // keep succeeded actions' folders (failed ones stay)
  std::vector<std::pair<std::string, std::string>> variables;  // --var: every action's env
  SecretMap secrets;
  std::filesystem::path state_directory;  // required
  // Where lockstep/verify@v1 sends its checks when its Configuration has no BaseUrl
  // ($LOCKSTEP_GATEWAY_URL); empty: the gateway of the server running for state_directory.
  std::string gateway_url;
  // Applied to every action: 4096 open files and 8 GiB per written file unless changed.
  exec::ResourceLimits limits{.open_files = 4096,
                              .file_size_bytes = uint64_t{8} << 30,
                              .cpu_seconds = {},
                              .address_space_bytes = {}};
  std::chrono::milliseconds kill_grace{5000};
  uint64_t max_output_bytes = uint64_t{64} << 20;  // per action attempt
};

struct ActionView {
  std::string name;
  store::ActionState state = store::ActionState::kPending;
  std::string reason;
  std::optional<std::chrono::milliseconds> duration;
  std::optional<store::TestCounts> tests;
  std::string log_path;
  std::vector<std::string> log_tail;  // last lines of the log when the action failed
};

struct RunSummary {
  store::RunId id = 0;
  std::string workflow;
  std::string commit;
  std::string branch;
  store::RunState state = store::RunState::kQueued;
  std::string reason;
  std::vector<ActionView> actions;  // in workflow order
  std::chrono::milliseconds duration{0};
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The run exists in the store and is about to wait for its turn or start.
  virtual void OnRunCreated(const RunSummary&) {}
  // Something the user should know that is not an action's state: waiting for another run,
  // a crashed run that was recovered, a warning.
  virtual void OnNotice(std::string_view) {}
  // An action changed state; `finished` of `total` actions have ended.
  virtual void OnActionChanged(const ActionView&, size_t /*finished*/, size_t /*total*/) {}
  virtual void OnRunFinished(const RunSummary&) {}
};

}  // namespace lockstep::engine
