#include "engine/action_attempt.h"

#include <fmt/core.h>

#include "engine/action_environment.h"
#include "engine/action_outputs.h"
#include "engine/action_workspace.h"
#include "engine/step_script.h"
#include "exec/secret_masker.h"

namespace lockstep::engine {

namespace fs = std::filesystem;
using store::ActionState;

ActionAttempt::ActionAttempt(const AttemptContext& context, const PreparedAction& action,
                             fs::path log_path, fs::path workspace)
    : context_(context),
      action_(action),
      log_path_(std::move(log_path)),
      workspace_(std::move(workspace)) {
  for (const std::string& name : action_.secrets)
    secret_values_.push_back(context_.request->secrets.at(name));
  for (const auto& source : action_.action->input_sources)
    if (source.value == "WorkflowSource") has_source_ = true;
}

std::vector<std::string> ActionAttempt::OutputNames() const {
  std::vector<std::string> names;
  for (const auto& declared : action_.action->output_variables) names.push_back(declared.value);
  for (const std::string& built_in : action_.built_in_outputs) {
    if (std::find(names.begin(), names.end(), built_in) == names.end()) names.push_back(built_in);
  }
  return names;
}

std::string ActionAttempt::Mask(std::string_view text) const {
  return exec::SecretMasker(secret_values_).Mask(text);
}

Result<exec::ProcessId> ActionAttempt::Start(exec::SubprocessSet& processes) {
  const workflow::Action& definition = *action_.action;
  const RunRequest& request = *context_.request;

  // Every reference in the steps becomes an expansion of a variable that carries its value.
  StepScript script{.steps = {}, .output_variables = {}, .limits = request.limits};
  std::vector<std::pair<std::string, std::string>> reference_values;
  std::map<std::string, std::string, std::less<>> variable_of;
  auto variable_for = [&](std::string_view reference) -> std::optional<std::string> {
    if (std::string_view secret = SecretName(reference); !secret.empty())
      return SecretVariable(secret);
    if (auto it = variable_of.find(reference); it != variable_of.end()) return it->second;
    std::optional<std::string> value = context_.value_of(reference);
    if (!value) return std::nullopt;
    std::string variable = fmt::format("LOCKSTEP_REF_{}", variable_of.size() + 1);
    variable_of.emplace(std::string(reference), variable);
    reference_values.emplace_back(variable, *value);
    return variable;
  };
  std::vector<std::string> titles;
  for (const std::string& step : action_.steps) {
    script.steps.push_back(SubstituteForShell(step, variable_for));
    // Titles show what was written, with values in place, for people reading the log.
    titles.push_back(Mask(StepTitle(SubstituteReferences(step, context_.value_of))));
  }
  for (const std::string& name : OutputNames()) script.output_variables.push_back(name);

  auto log = ActionLog::Create(log_path_, std::move(titles));
  if (!log) return std::unexpected(log.error());
  log_ = std::move(*log);

  auto workspace = PrepareActionWorkspace(definition, workspace_, context_.snapshot,
                                          *context_.artifacts, *context_.cache, *log_);
  if (!workspace) return std::unexpected(workspace.error());
  workspace_ = workspace->root;
  default_dir_ = workspace->default_dir;
  temp_dir_ = workspace->temp_dir;
  auto argv = StepProgram(script, OutputsFile(), temp_dir_ / ".lockstep-program.sh");
  if (!argv) return std::unexpected(argv.error());

  exec::ProcessSpec spec;
  spec.argv = std::move(*argv);
  spec.environment = Environment(reference_values);
  spec.working_directory = default_dir_;
  spec.limits.open_files.reset();  // the step program applies the limits (ulimit)
  if (definition.timeout_minutes) spec.timeout = std::chrono::minutes(*definition.timeout_minutes);
  spec.kill_grace = request.kill_grace;
  spec.max_output_bytes = request.max_output_bytes;
  spec.secrets = secret_values_;
  spec.sandbox.enabled = action_.sandbox;
  spec.sandbox.network = action_.network;
  spec.sandbox.writable = {workspace_};
  return processes.Start(spec, *log_);
}

std::vector<std::string> ActionAttempt::Environment(
    const std::vector<std::pair<std::string, std::string>>& reference_values) const {
  const PreparedRun& run = *context_.run;
  ActionEnvironmentInput input{.action = action_.action,
                               .run_id = context_.run_id,
                               .workflow = run.workflow.name,
                               .commit = run.commit,
                               .branch = run.branch,
                               .workspace = workspace_,
                               .default_dir = default_dir_,
                               .temp_dir = temp_dir_,
                               .resolve = context_.value_of,
                               .run_variables = &context_.request->variables,
                               .secrets = {},
                               .owner_tag = context_.owner_tag};
  for (const std::string& name : action_.secrets)
    input.secrets[name] = context_.request->secrets.at(name);
  std::vector<std::string> environment = ActionEnvironment(input);
  for (const auto& [name, value] : reference_values) environment.push_back(name + "=" + value);
  return environment;
}

AttemptOutcome ActionAttempt::Collect(const exec::ProcessResult& result,
                                      const std::string& cancel_reason) {
  const workflow::Action& definition = *action_.action;
  AttemptOutcome outcome;
  if (result.cancelled) {
    outcome.state = cancel_reason.empty() ? ActionState::kFailed : ActionState::kCancelled;
    outcome.reason = cancel_reason.empty() ? "cancelled" : cancel_reason;
    return outcome;
  }
  auto tests = CollectTestReports(definition, default_dir_, *log_);
  if (!tests) {
    log_->Note("test reports not read: " + tests.error().message());
  } else if (*tests) {
    outcome.tests = *tests;
    if (auto stored = context_.store->SetActionTests(context_.run_id, definition.name, **tests);
        !stored) {
      log_->Note(stored.error().message());
    }
  }
  if (!result.succeeded()) {
    outcome.state = ActionState::kFailed;
    outcome.exit_code = result.exit_code;
    // Markers come through stdout: past the output cap they are lost, so say no step then.
    int step = result.dropped_bytes > 0 ? 0 : log_->last_step();
    const auto& texts = action_.steps;
    outcome.reason =
        result.timed_out || step <= 0 || step > static_cast<int>(texts.size())
            ? result.Describe()
            : fmt::format("step {} ({}) {}", step,
                          StepTitle(SubstituteReferences(texts[static_cast<size_t>(step - 1)],
                                                         context_.value_of)),
                          result.Describe());
    outcome.reason = Mask(outcome.reason);
    return outcome;
  }
  auto fail = [&](const Error& error) {
    outcome.state = ActionState::kFailed;
    outcome.reason = Mask(error.message());
    return outcome;
  };
  auto steps = ReadStepOutputs(OutputsFile());
  if (!steps) return fail(steps.error());

  std::vector<store::VariableRecord> variables;
  const std::vector<std::string> names = OutputNames();
  for (const std::string& name : names) {
    auto it = steps->find(name);
    if (it == steps->end()) {
      log_->Note(fmt::format("output variable {} was not set", name));
      continue;
    }
    std::string value = Mask(it->second);
    outcome.outputs[name] = value;
    variables.push_back({definition.name, name, value});
  }
  if (!names.empty()) {
    if (auto stored = context_.store->SetVariables(context_.run_id, definition.name, variables);
        !stored) {
      return fail(stored.error());
    }
  }
  auto artifacts =
      StoreArtifacts(definition, default_dir_, context_.run_directory / "artifacts", *log_);
  if (!artifacts) return fail(artifacts.error());
  for (const store::ArtifactRecord& artifact : *artifacts) {
    if (auto stored = context_.store->AddArtifact(context_.run_id, artifact); !stored)
      return fail(stored.error());
    (*context_.artifacts)[artifact.name] = artifact.path;
  }
  return outcome;
}

std::filesystem::path ActionAttempt::OutputsFile() const { return temp_dir_ / ".lockstep-outputs"; }

void ActionAttempt::SaveCaches() {
  for (const CacheEntry& entry : CacheEntries(*action_.action)) {
    auto saved = context_.cache->Save(entry, default_dir_);
    if (!saved) log_->Note("cache not saved: " + saved.error().message());
  }
}

void ActionAttempt::Close(AttemptOutcome& outcome) {
  if (log_) {
    if (!outcome.reason.empty()) log_->Note(outcome.reason);
    if (auto closed = log_->Close(); !closed && outcome.state == ActionState::kSucceeded) {
      outcome.state = ActionState::kFailed;
      outcome.reason = closed.error().message();
    }
    log_tail_ = log_->tail();
    log_.reset();
  }
}

void ActionAttempt::FlushLog() {
  if (log_) log_->Flush();
}

}  // namespace lockstep::engine
