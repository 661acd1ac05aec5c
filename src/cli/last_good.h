// The commits of the last good rollout, per repository, that `lockstep plan` compares the
// heads with. Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lockstep::cli {

// Repository name -> the commit of the last good rollout to `environment`, from the state
// store in `state_directory`; empty when there has been none (every repository then counts as
// changed: a first rollout). A state directory without a store is left as it is.
Result<std::map<std::string, std::string>> LastGoodCommits(
    const std::filesystem::path& state_directory, std::string_view environment);

}  // namespace lockstep::cli
