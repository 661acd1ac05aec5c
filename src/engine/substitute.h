// Replacing workflow references (`${Build.VERSION}`, `${WorkflowSource.CommitId}`,
// `${Secrets.TOKEN}`) in action values. Shell syntax such as `${HOME}` is left alone, by the
// same rule the validator uses. Pure; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep::engine {

// Returns `text` with every workflow reference replaced by resolve(reference text); a
// reference that resolves to nullopt is kept as written.
std::string SubstituteReferences(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view reference)>& resolve);

// The secret name of a `Secrets.NAME` reference ("TOKEN"), or empty for other references.
std::string_view SecretName(std::string_view reference);

// The environment variable a secret reaches an action's steps through.
std::string SecretVariable(std::string_view secret_name);

}  // namespace lockstep::engine
