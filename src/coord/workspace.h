// The workspace: `lockstep.yaml`, read into the repositories lockstep coordinates, the order
// between them, the sync rules that carry code from one into another, the services the
// runtime serves, the environments rollouts go to and the integration tests that end a
// rollout. Pure (reading does not touch the repositories); thread-safe as a value.
//
//   version: 1
//   name: registry
//   repositories:
//     registry-api:            { path: ../registry-api, branch: main }   # or url: file:///…
//     registry-infrastructure: { path: ../registry-infrastructure, after: [registry-api] }
//   sync:
//     - { from: registry-api:src, to: registry-infrastructure:api/src, commit: true }
//   services:     { api: { route: /api } }                 # runtime/service_spec.h
//   environments: { local: { auto: true, approval: required, variables: { K: V } } }
//   integration_tests:
//     - { name: people list, method: GET, path: /api/people, expect_status: 200 }
//     - { name: e2e, workflow: registry-frontend:frontend-e2e }
//
// `integration_tests` is a list of tests, or a mapping `{ deadline: 60s, tests: [...] }` when
// the deadline for all of them is not the default 30s. `version` (only 1) and `name` (default:
// the workspace folder's name) are optional, and so is every section: a file with only
// `services:` is a workspace with no repositories. docs/plan.md describes every key.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "engine/http_checks.h"
#include "runtime/service_spec.h"

namespace lockstep::coord {

struct RepositorySpec {
  std::string name;
  // Exactly one of the two: an absolute path (relative ones are resolved against the
  // workspace's folder) or a URL that lockstep mirrors (file://, https://, ssh).
  std::filesystem::path path;
  std::string url;
  std::string branch;                           // empty: the branch HEAD points at
  std::vector<std::string> after;               // repositories whose rollout steps come first
  std::vector<SourceLocation> after_locations;  // of each `after` entry, in the same order
  SourceLocation location;                      // of the repository's key
};

struct SyncRule {
  std::string from_repository;
  std::string from_path;  // "" for the whole tree; '/'-separated, never absolute or with ".."
  std::string to_repository;
  std::string to_path;      // never "" (the root of a repository is refused), never ".."
  bool commit = true;       // commit the result (with its manifest) in the target repository
  SourceLocation location;  // of the rule (the list item)
};

struct EnvironmentSpec {
  std::string name;
  bool auto_rollout = false;       // `auto: true`: the server starts a rollout on a change
  bool approval_required = false;  // `approval: required`: a rollout waits for `approve`
  std::vector<std::pair<std::string, std::string>> variables;  // every run's --var
  SourceLocation location;
};

// One entry of `integration_tests`: an HTTP check through the gateway (the keys of
// lockstep/verify@v1's checks in lower case: method, path, body, headers, expect_status,
// expect_body, expect_json, capture), or a workflow of a repository of the workspace.
struct IntegrationTest {
  std::string name;
  std::optional<engine::HttpCheck> check;
  std::string workflow_repository;  // with `workflow: REPO:WORKFLOW`
  std::string workflow;             // the workflow's Name or file
  SourceLocation location;
};

struct Workspace {
  std::filesystem::path file;  // absolute path of lockstep.yaml
  std::filesystem::path root;  // its folder
  std::string name;
  std::vector<RepositorySpec> repositories;  // in file order
  std::vector<SyncRule> sync;
  std::vector<runtime::ServiceSpec> services;
  std::vector<EnvironmentSpec> environments;  // none declared: one named "default"
  std::vector<IntegrationTest> integration_tests;
  std::chrono::milliseconds integration_deadline{30'000};  // all checks, retries included

  const RepositorySpec* FindRepository(std::string_view name) const;
  const EnvironmentSpec* FindEnvironment(std::string_view name) const;
  const runtime::ServiceSpec* FindService(std::string_view name) const;
};

struct WorkspaceLoad {
  std::optional<Workspace> workspace;  // set when there is no error
  DiagnosticList diagnostics;
};

// Reads `text` (the content of `file`; a relative `file` is made absolute against the current
// directory for Workspace::file, and diagnostics name it as given). Every problem is a
// diagnostic at its position: an unknown key, a repository with neither or both of path and url, an
// `after` or sync rule naming an unknown repository, a cycle of `after` and sync edges
// (reported once, as the path "a -> b -> c -> a"), a sync path that is absolute or has "..",
// a sync into the root of a repository, two rules writing the same place, a service as
// runtime::ReadServiceSpec refuses it, an unknown `approval` value, an integration test that
// is neither a check nor a workflow. Diagnostics come sorted by position.
WorkspaceLoad LoadWorkspace(std::string_view text, const std::filesystem::path& file);

// Reads the file; fails with kInvalidArgument whose message holds every diagnostic, one per
// line as "file:line:col: error: …", or with the read error.
Result<Workspace> ReadWorkspaceFile(const std::filesystem::path& file);

// The repositories in rollout order: stage 0 has no predecessor, stage k only predecessors in
// earlier stages; within a stage in file order. Edges are `after` and sync (from → to). The
// workspace has no cycle (LoadWorkspace refuses one).
std::vector<std::vector<std::string>> RepositoryStages(const Workspace& workspace);

// The service `name` as the workspace file `file` declares it under `services:`, or nullopt
// when it declares none of that name. Only that service is read, so that a deploy is not
// refused for a problem elsewhere in the file. Fails with the read error, a YAML syntax
// error, or kInvalidArgument at the position of the service's first problem.
Result<std::optional<runtime::ServiceSpec>> ReadDeclaredService(const std::filesystem::path& file,
                                                                std::string_view name);

}  // namespace lockstep::coord
