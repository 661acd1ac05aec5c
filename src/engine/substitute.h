// Replacing workflow references (`${Build.VERSION}`, `${WorkflowSource.CommitId}`,
// `${Secrets.TOKEN}`) in action values. Shell syntax such as `${HOME}` is left alone, by the
// same rule the validator uses. Pure; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::engine {

using ReferenceResolver = std::function<std::optional<std::string>(std::string_view reference)>;

// Returns `text` with every workflow reference replaced by resolve(reference text); a
// reference that resolves to nullopt is kept as written. For values that are not shell code
// (Inputs.Variables).
std::string SubstituteReferences(std::string_view text, const ReferenceResolver& resolve);

// For shell code (Steps): replaces every workflow reference by an expansion of the
// environment variable variable_for(reference) names, never by the value itself, so that a
// value (a branch name, another action's output) is data and cannot run as code, and a secret
// is never written into a script. Inside single quotes the expansion is spliced in as
// '"${NAME}"' so that it still expands, as CodeCatalyst's textual substitution would.
// References variable_for maps to nullopt are kept as written.
std::string SubstituteForShell(std::string_view text, const ReferenceResolver& variable_for);

// The workflow references in `text` (between "${" and "}"), in order, repeats included.
std::vector<std::string> FindReferences(std::string_view text);

// The secret name of a `Secrets.NAME` reference ("TOKEN"), or empty for other references.
std::string_view SecretName(std::string_view reference);

// The environment variable a secret reaches an action's steps through.
std::string SecretVariable(std::string_view secret_name);

}  // namespace lockstep::engine
