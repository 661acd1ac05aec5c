// What lockstep knows about action identifiers: the CodeCatalyst actions it checks in full
// (build, test, GitHub Actions runner, approval) and its native lockstep/* actions, with their
// Configuration schemas and built-in output variables. Any other identifier is a plugin whose
// Configuration is free-form. Pure functions; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "workflow/checker.h"
#include "workflow/model.h"

namespace lockstep::workflow {

enum class ActionKind {
  kBuild,            // aws/build@v1
  kManagedTest,      // aws/managed-test@v1
  kGitHubActions,    // aws/github-actions-runner@v1
  kApproval,         // aws/approval@v1 or lockstep/approval@v1
  kDeploy,           // lockstep/deploy@v1
  kVerify,           // lockstep/verify@v1
  kSync,             // lockstep/sync@v1
  kTrigger,          // lockstep/trigger@v1
  kUnknownLockstep,  // lockstep/… that lockstep does not have
  kPlugin,           // anything else
};

// Classifies an identifier; "@v1", "@v1.0" and "@v1.0.0" are the same version.
ActionKind ClassifyIdentifier(std::string_view identifier);

// Whether lockstep knows every output variable an action of this kind can have, so that a
// reference to an undeclared one is an error. False for plugins.
bool OutputsAreKnown(ActionKind kind);

// Output variables an action of this kind has without declaring them (lockstep/deploy's
// ReleaseId and Handler, …).
std::vector<std::string_view> BuiltInOutputs(ActionKind kind);

// Checks the identifier, then `action.configuration` against the schema for its kind, and any
// rule a kind adds to the rest of the action (lockstep/deploy needs an input artifact).
void CheckActionConfiguration(const Action& action, const yaml::Node* configuration,
                              Checker& checker);

}  // namespace lockstep::workflow
