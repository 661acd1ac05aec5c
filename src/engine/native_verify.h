// `lockstep/verify@v1` under `lockstep run`: the action's Configuration turned into a step
// that runs this lockstep binary's `verify` command, so the checks get the log, timeout,
// process group and masking of any other step. Pure; thread-safe.
//
// The Configuration becomes a checks file (http_checks.h), written by a quoted heredoc: no
// value of it is ever read by the shell. Workflow references (`${Deploy.ReleaseId}`,
// `${Secrets.TOKEN}`) in Path, Body, header values and ExpectBody reach the command through
// environment variables (`--from-env`), so that a secret is never written to a file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"
#include "engine/http_checks.h"
#include "workflow/model.h"

namespace lockstep::engine {

// The suite an action's Configuration describes. Workflow references in Path, Body, header
// values and ExpectBody are replaced by `${LOCKSTEP_VERIFY_N}`, and `references` receives
// each reference's text (N counts from 1 in that order). kInvalidArgument when the
// Configuration does not describe checks, or holds a workflow reference elsewhere.
Result<CheckSuite> SuiteFromConfiguration(const workflow::Action& action,
                                          std::vector<std::string>& references);

// The Run text of the step for `action`, run by the binary `executable` with the state
// directory `state_directory` (where it finds the running server's gateway) and, when not
// empty, `gateway_url` as $LOCKSTEP_GATEWAY_URL. kInvalidArgument as SuiteFromConfiguration.
Result<std::string> VerifyStep(const workflow::Action& action,
                               const std::filesystem::path& executable,
                               const std::filesystem::path& state_directory,
                               std::string_view gateway_url);

}  // namespace lockstep::engine
