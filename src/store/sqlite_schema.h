// The SQLite state store's schema: how a file is recognised as a lockstep store, the
// connection settings, and the forward-only migrations. Internal to store/.
//
// The schema version is PRAGMA user_version; migration i (counting from 0) takes a store from
// version i to i + 1 and runs in a transaction of its own together with the version bump, so a
// failure leaves the store at the last version that completed. A lockstep store carries
// kApplicationId in PRAGMA application_id, set by the first migration.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "base/error.h"
#include "store/sqlite_database.h"

namespace lockstep::store {

inline constexpr int32_t kApplicationId = 0x4c6b5374;  // "LkSt"

// Every migration this build knows, oldest first.
std::span<const std::string_view> SqliteMigrations();

// Checks that the file behind `db` is a lockstep store (or empty), configures the connection
// (busy timeout, WAL, synchronous, foreign keys) and applies the `migrations` it lacks.
// `path` only names the file in errors. Fails with kCorruption when the file is not SQLite,
// is damaged or belongs to another application; with kInvalidArgument when its version is
// higher than migrations.size(); with the SQLite error of a failed step otherwise. Safe to run
// from several processes at once: each migration step re-reads the version under the write
// lock.
Result<void> PrepareStore(SqliteDatabase& db, const std::filesystem::path& path,
                          std::span<const std::string_view> migrations);

// Opens (creating when missing) the store file at `path` and prepares it with every migration
// this build knows, retrying for a while when other processes hold it busy while opening or
// migrating it. Failures as PrepareStore's, or the open error ("cannot open: …").
Result<SqliteDatabase> OpenStoreDatabase(const std::filesystem::path& path);

}  // namespace lockstep::store
