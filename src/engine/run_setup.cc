#include "engine/run_setup.h"

#include <fmt/core.h>

#include <map>
#include <set>

#include "base/diagnostic.h"
#include "base/file.h"
#include "base/strings.h"
#include "engine/local_actions.h"
#include "engine/native_deploy.h"
#include "engine/native_sync.h"
#include "engine/native_trigger.h"
#include "engine/native_verify.h"
#include "engine/substitute.h"
#include "exec/sandbox.h"
#include "workflow/discovery.h"
#include "workflow/load.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;
using workflow::ActionKind;

struct LoadedWorkflow {
  fs::path path;
  std::string text;
  workflow::LoadResult loaded;
};

Result<LoadedWorkflow> LoadFile(const fs::path& path) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  workflow::LoadResult loaded = workflow::LoadWorkflow(*text, path.string());
  return LoadedWorkflow{path, std::move(*text), std::move(loaded)};
}

// Finds the workflow named by `spec`: a workflow Name among the repository's workflow files,
// else, when `spec` looks like a path (a '/' or a .yaml/.yml ending), that file, relative to
// the current folder or to the repository root. A Name wins: `lockstep run build` must not
// read a `./build` script.
Result<LoadedWorkflow> FindWorkflow(const fs::path& root, const std::string& spec) {
  std::error_code error;
  const bool looks_like_path =
      spec.find('/') != std::string::npos || spec.ends_with(".yaml") || spec.ends_with(".yml");
  if (looks_like_path) {
    for (const fs::path& candidate : {fs::path(spec), root / spec}) {
      if (fs::is_regular_file(candidate, error)) return LoadFile(fs::absolute(candidate));
    }
  }
  auto files = workflow::FindWorkflowFiles(root);
  if (!files) return std::unexpected(files.error());
  std::vector<std::string> names;
  std::vector<std::string> unreadable;
  for (const fs::path& file : *files) {
    auto loaded = LoadFile(file);
    if (!loaded || !loaded->loaded.workflow) {
      unreadable.push_back(fs::relative(file, root, error).string());
      continue;
    }
    if (loaded->loaded.workflow->name == spec) return loaded;
    names.push_back(loaded->loaded.workflow->name);
  }
  std::string message = fmt::format("no workflow named '{}' in {}", spec, root.string());
  if (auto close = ClosestMatch(spec, names)) {
    message += fmt::format("; did you mean '{}'?", *close);
  } else if (!names.empty()) {
    message += "; it has: " + Join(names, ", ");
  } else if (unreadable.empty()) {
    message += " (no files in .codecatalyst/workflows/ or .lockstep/workflows/)";
  }
  if (!unreadable.empty()) {
    message += fmt::format("; {} cannot be read as a workflow (see lockstep validate)",
                           Join(unreadable, ", "));
  }
  return Fail(ErrorCode::kNotFound, message);
}

std::string RenderErrors(const LoadedWorkflow& file) {
  std::string out;
  for (const Diagnostic& diagnostic : file.loaded.diagnostics.items()) {
    if (diagnostic.severity != Severity::kError) continue;
    out += RenderDiagnostic(diagnostic, file.text, {.color = false, .show_source = true});
  }
  return out;
}

bool IsShellName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Output variables of shell steps are read from the shell's environment, so they must be
// names a shell can assign (CodeCatalyst's own rule also allows '-' and '@').
Result<void> CheckShellOutputs(const workflow::Action& action) {
  for (const auto& variable : action.output_variables) {
    if (!IsShellName(variable.value)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("action '{}': output variable '{}' cannot be set by a shell step; "
                              "use letters, digits and '_', not starting with a digit",
                              action.name, variable.value));
    }
  }
  return {};
}

// The secrets an action's run needs: referenced in its steps when a stand-in replaces them,
// else anywhere in its YAML.
std::vector<std::string> ReferencedSecrets(const PreparedAction& prepared) {
  std::vector<std::string> references;
  if (prepared.stand_in) {
    for (const std::string& step : prepared.steps) {
      std::vector<std::string> found = FindReferences(step);
      references.insert(references.end(), found.begin(), found.end());
    }
  } else {
    for (const workflow::Reference& reference : prepared.action->references)
      references.push_back(reference.text);
  }
  std::vector<std::string> secrets;
  for (const std::string& reference : references) {
    std::string name(SecretName(reference));
    if (!name.empty() && std::find(secrets.begin(), secrets.end(), name) == secrets.end())
      secrets.push_back(std::move(name));
  }
  return secrets;
}

// A native lockstep action runs as one step that calls this lockstep binary (the binary
// running now: the same version of lockstep).
Result<void> PlanNativeAction(PreparedAction& prepared, ActionKind kind, const RunRequest& request,
                              const PreparedRun& run) {
  const workflow::Action& action = *prepared.action;
  std::error_code error;
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return std::unexpected(ErrnoError(error.value(), "/proc/self/exe"));
  Result<std::string> step;
  switch (kind) {
    case ActionKind::kSync:
      step = SyncStep(action, run.workflow.name, run.root, executable);
      for (const char* output : kSyncOutputs) prepared.built_in_outputs.emplace_back(output);
      break;
    case ActionKind::kVerify:
      step = VerifyStep(action, executable, request.state_directory, request.gateway_url);
      break;
    case ActionKind::kDeploy:
      // LOCKSTEP_HOME is the run's state directory: the step finds the server running for it.
      step = DeployStep(action, run.workflow.name, run.root, executable, request.state_directory);
      for (const char* output : kDeployOutputs) prepared.built_in_outputs.emplace_back(output);
      break;
    case ActionKind::kTrigger:
      step = TriggerStep(action, run.root, executable, request.state_directory);
      for (const char* output : kTriggerOutputs) prepared.built_in_outputs.emplace_back(output);
      break;
    default:
      return Fail(ErrorCode::kInternal, fmt::format("action '{}' is not a native action it "
                                                    "can run",
                                                    action.name));
  }
  if (!step) return std::unexpected(step.error());
  prepared.steps.push_back(std::move(*step));
  return {};
}

// How each kind of action runs under `lockstep run`, or why it cannot.
Result<void> PlanAction(PreparedAction& prepared, const RunRequest& request,
                        const LocalActions& local, const PreparedRun& prepared_run) {
  const workflow::Action& action = *prepared.action;
  const std::string& identifier = action.identifier.value;
  if (const auto* steps = local.Find(action.name, identifier)) {
    prepared.steps = *steps;
    prepared.stand_in = true;
    return CheckShellOutputs(action);
  }
  const ActionKind kind = workflow::ClassifyIdentifier(identifier);
  switch (kind) {
    case ActionKind::kBuild:
    case ActionKind::kManagedTest: {
      const yaml::Node* steps =
          action.configuration.IsMap() ? action.configuration.Find("Steps") : nullptr;
      if (steps != nullptr) {
        for (const yaml::Node& step : steps->items) {
          if (const yaml::Node* run = step.IsMap() ? step.Find("Run") : nullptr)
            prepared.steps.push_back(run->value);
        }
      }
      return CheckShellOutputs(action);
    }
    case ActionKind::kSync:
    case ActionKind::kVerify:
    case ActionKind::kDeploy:
    case ActionKind::kTrigger:
      return PlanNativeAction(prepared, kind, request, prepared_run);
    case ActionKind::kApproval:
      prepared.mode = PreparedAction::Mode::kApproval;
      if (request.approve) return {};
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("action '{}' ({}) waits for an approval; pass --approve to "
                              "approve it for this run",
                              action.name, identifier));
    default:
      break;
  }
  if (request.skip_cloud) {
    prepared.mode = PreparedAction::Mode::kSkip;
    prepared.skip_reason =
        fmt::format("skipped: {} does not run locally (--skip-cloud)", identifier);
    return {};
  }
  std::string why;
  switch (workflow::ClassifyIdentifier(identifier)) {
    case ActionKind::kGitHubActions:
      why = "runs GitHub Actions, which lockstep does not emulate";
      break;
    case ActionKind::kUnknownLockstep:
      why = "is a lockstep action that `lockstep run` cannot run yet";
      break;
    default:
      why = "runs only in AWS";
      break;
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("action '{}' uses {}, which {}. Map it to a local command in {} "
                          "(Actions: {{{}: {{Steps: [{{Run: ./your-script}}]}}}}), or pass "
                          "--skip-cloud to skip it",
                          action.name, identifier, why, kLocalActionsFile, action.name));
}

}  // namespace

Result<PreparedRun> PrepareRun(const RunRequest& request,
                               const std::optional<store::RunRecord>& resumed) {
  auto repository =
      git::Repository::Open(resumed ? fs::path(resumed->repository) : request.repository);
  if (!repository) return std::unexpected(repository.error());
  fs::path root = repository->work_tree();
  if (root.empty()) return Fail(ErrorCode::kInvalidArgument, "the repository has no work tree");

  auto file =
      resumed ? LoadFile(root / resumed->workflow_file) : FindWorkflow(root, request.workflow);
  if (!file) return std::unexpected(file.error());
  if (!file->loaded.ok()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} has errors; nothing was run\n{}",
                                                         file->path.string(), RenderErrors(*file)));
  }

  std::string commit = resumed ? resumed->commit : std::string();
  if (!resumed) {
    auto resolved = repository->ResolveCommit(request.revision);
    if (!resolved) return std::unexpected(resolved.error());
    commit = *resolved;
  }
  std::string branch;
  if (resumed) {
    branch = resumed->branch;
  } else if (request.revision == "HEAD") {
    auto current = repository->CurrentBranch();
    if (current) branch = *current;
  } else if (repository->ResolveCommit("refs/heads/" + request.revision)) {
    branch = request.revision;
  }

  std::error_code error;
  fs::path relative = fs::relative(file->path, root, error);
  PreparedRun run{std::move(*repository),
                  root,
                  error ? file->path.string() : relative.string(),
                  std::move(*file->loaded.workflow),
                  commit,
                  branch,
                  {},
                  false};

  auto local = LoadLocalActions(root / kLocalActionsFile);
  if (!local) return std::unexpected(local.error());
  std::vector<std::string> problems;
  std::set<std::string> missing_secrets;
  bool any_sandbox = false;
  for (const workflow::Action& action : run.workflow.actions) {
    PreparedAction prepared;
    prepared.action = &action;
    if (auto planned = PlanAction(prepared, request, *local, run); !planned)
      problems.push_back(planned.error().message());
    for (std::string& name : ReferencedSecrets(prepared)) {
      if (!request.secrets.contains(name)) {
        missing_secrets.insert(std::move(name));
      } else {
        prepared.secrets.push_back(std::move(name));
      }
    }
    for (const auto& source : action.input_sources)
      if (source.value == "WorkflowSource") run.needs_source = true;
    auto sandbox = local->sandbox.find(action.name);
    prepared.sandbox = request.sandbox || sandbox != local->sandbox.end();
    prepared.network = sandbox != local->sandbox.end() && sandbox->second.network;
    if (prepared.sandbox) any_sandbox = true;
    run.actions.push_back(std::move(prepared));
  }
  if (!missing_secrets.empty()) {
    std::vector<std::string> names(missing_secrets.begin(), missing_secrets.end());
    problems.push_back(fmt::format(
        "the workflow references secret{} {} that {} not provided: give {} with --secrets FILE "
        "or LOCKSTEP_SECRET_<NAME>",
        names.size() == 1 ? "" : "s", Join(names, ", "), names.size() == 1 ? "is" : "are",
        names.size() == 1 ? "it" : "them"));
  }
  // Two names that reach the steps through the same variable would read each other's value.
  std::map<std::string, std::string> by_variable;
  for (const auto& [name, value] : request.secrets) {
    auto [it, inserted] = by_variable.emplace(SecretVariable(name), name);
    if (!inserted) {
      problems.push_back(fmt::format("secrets '{}' and '{}' would both be {}; rename one",
                                     it->second, name, it->first));
    }
  }
  if (any_sandbox) {
    if (auto bwrap = exec::FindBubblewrap(); !bwrap) problems.push_back(bwrap.error().message());
  }
  if (!problems.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot run {}; nothing was run:\n  {}", run.workflow_file,
                            Join(problems, "\n  ")));
  }
  return run;
}

}  // namespace lockstep::engine
