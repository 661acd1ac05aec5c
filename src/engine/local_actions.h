// Local stand-ins for actions that only run in AWS (aws/cdk-deploy@v1, aws/s3-publish@v1, any
// plugin): `.lockstep/local-actions.yaml` in the repository maps an action, by its name or by
// its identifier, to Steps that run locally instead:
//
//   Actions:                       # by action name; wins over Identifiers
//     DeployStack:
//       Steps:
//         - Run: ./scripts/deploy-local.sh
//   Identifiers:                   # every action with this identifier
//     aws/cdk-deploy@v1:
//       Steps:
//         - Run: npx cdk synth
//
// The stand-in keeps the action's Inputs, Outputs, DependsOn, Timeout and Environment; only
// what it runs changes. The same file says which actions always run in the bubblewrap
// sandbox (as every action does with --sandbox), and which of them keep the network:
//
//   Sandbox:
//     Build: {}                    # sandboxed, no network
//     Fetch:
//       Network: true              # sandboxed, with the network
//
// Thread-compatible.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace lockstep::engine {

inline constexpr std::string_view kLocalActionsFile = ".lockstep/local-actions.yaml";

struct SandboxSetting {
  bool network = false;
};

struct LocalActions {
  std::map<std::string, std::vector<std::string>> by_action;      // name -> Run texts
  std::map<std::string, std::vector<std::string>> by_identifier;  // identifier -> Run texts
  std::map<std::string, SandboxSetting> sandbox;                  // action name -> setting

  // The stand-in steps for an action, or nullptr.
  const std::vector<std::string>* Find(const std::string& action,
                                       const std::string& identifier) const;
};

// Reads the file at `path`; a missing file gives an empty mapping. Errors read
// "file:line:col: …".
Result<LocalActions> LoadLocalActions(const std::filesystem::path& path);

}  // namespace lockstep::engine
