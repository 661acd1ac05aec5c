// Opening the state store for the read commands (runs, logs): find the state directory, open
// it, and recover runs a dead lockstep left "running", printing a notice for each. Used from
// main's thread only.
#pragma once

#include <filesystem>
#include <memory>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::cli {

// Fails with kNotFound when there is no state yet ("no runs yet: …").
Result<std::unique_ptr<store::Store>> OpenStateStore(const std::filesystem::path& start);

}  // namespace lockstep::cli
