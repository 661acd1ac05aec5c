// The embedded state store on SQLite: one file, WAL journal, foreign keys on, a busy timeout
// so that several lockstep processes can share it, and a schema version with forward-only
// migrations applied on open. Thread-safe (one connection guarded by a mutex).
#pragma once

#include <filesystem>
#include <memory>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::store {

// Opens (creating when missing) the store at `path`, migrating its schema to the current
// version. Fails with kCorruption when the file is not a lockstep store or is damaged, and
// with kInvalidArgument when it was written by a newer lockstep (its schema version is
// higher than this one knows).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path);

// The schema version this build writes.
int SqliteSchemaVersion();

}  // namespace lockstep::store
