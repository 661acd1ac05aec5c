// The runtime store on SQLite: opening, services, releases, handler processes and events.
// Deployments are in sqlite_runtime_deployments.cc.
#include <fmt/core.h>

#include <utility>

#include "store/runtime_store.h"
#include "store/sqlite_runtime_store_impl.h"
#include "store/sqlite_schema.h"

namespace lockstep::store {
namespace {

constexpr std::string_view kServiceColumns =
    "name, spec_json, release, handler, previous_release, previous_handler, status, reason, "
    "created_at, updated_at";

Result<ServiceRecord> ServiceFromRow(const SqliteStatement& row) {
  return ServiceRecord{.name = row.Text(0),
                       .spec_json = row.Text(1),
                       .serving = {.release = row.Text(2),
                                   .handler = row.Text(3),
                                   .previous_release = row.Text(4),
                                   .previous_handler = row.Text(5),
                                   .status = row.Text(6),
                                   .reason = row.Text(7)},
                       .created_at = row.Int(8),
                       .updated_at = row.Int(9)};
}

constexpr std::string_view kReleaseColumns =
    "service, id, path, spec_json, files, bytes, created_at";

Result<ReleaseRecord> ReleaseFromRow(const SqliteStatement& row) {
  return ReleaseRecord{.service = row.Text(0),
                       .id = row.Text(1),
                       .path = row.Text(2),
                       .spec_json = row.Text(3),
                       .files = row.Int(4),
                       .bytes = row.Int(5),
                       .created_at = row.Int(6)};
}

constexpr std::string_view kProcessColumns =
    "process_group, start_time, service, release, handler, port, role, owner_pid, "
    "owner_start_time, started_at";

Result<HandlerProcessRecord> ProcessFromRow(const SqliteStatement& row) {
  // Start times are stored bit for bit in a signed column; the casts undo that.
  return HandlerProcessRecord{.process_group = static_cast<int>(row.Int(0)),
                              .start_time = static_cast<uint64_t>(row.Int(1)),
                              .service = row.Text(2),
                              .release = row.Text(3),
                              .handler = row.Text(4),
                              .port = static_cast<int>(row.Int(5)),
                              .role = row.Text(6),
                              .owner = {.pid = static_cast<int>(row.Int(7)),
                                        .start_time = static_cast<uint64_t>(row.Int(8))},
                              .started_at = row.Int(9)};
}

constexpr std::string_view kEventColumns = "id, service, time, kind, message, deployment_id";

Result<ServiceEvent> EventFromRow(const SqliteStatement& row) {
  return ServiceEvent{.id = row.Int(0),
                      .service = row.Text(1),
                      .time = row.Int(2),
                      .kind = row.Text(3),
                      .message = row.Text(4),
                      .deployment = row.OptionalInt(5)};
}

// Checks that an event's deployment exists and belongs to the event's service.
Result<void> RequireDeploymentOf(SqliteDatabase& db, DeploymentId id, std::string_view service) {
  Result<SqliteStatement> query = db.Query("SELECT service FROM deployments WHERE id = ?1", id);
  if (!query) return std::unexpected(query.error());
  Result<bool> row = query->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, fmt::format("no such deployment {}", id));
  if (std::string owner = query->Text(0); owner != service) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("deployment {} is of service '{}'", id, owner));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<RuntimeStore>> OpenSqliteRuntimeStore(const std::filesystem::path& path) {
  Result<SqliteDatabase> db = OpenStoreDatabase(path);
  if (!db) return std::unexpected(db.error());
  return std::make_unique<SqliteRuntimeStore>(std::move(*db));
}

Result<void> RequireService(SqliteDatabase& db, std::string_view service) {
  Result<int64_t> found =
      db.QueryInt("SELECT EXISTS (SELECT 1 FROM services WHERE name = ?1)", service);
  if (!found) return std::unexpected(found.error());
  if (*found == 0) return Fail(ErrorCode::kNotFound, "no such service");
  return {};
}

Result<void> StoreServing(SqliteDatabase& db, std::string_view service, const ServingState& serving,
                          TimeMs now) {
  Result<int64_t> changed = db.Execute(
      "UPDATE services SET release = ?1, handler = ?2, previous_release = ?3, "
      "previous_handler = ?4, status = ?5, reason = ?6, updated_at = ?7 WHERE name = ?8",
      serving.release, serving.handler, serving.previous_release, serving.previous_handler,
      serving.status, serving.reason, now, service);
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) return Fail(ErrorCode::kNotFound, "no such service");
  return {};
}

Result<void> SqliteRuntimeStore::PutService(std::string_view name, std::string_view spec_json) {
  return Write<void>(fmt::format("cannot record service '{}'", name), [&]() -> Result<void> {
    if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "a service needs a name");
    Result<int64_t> stored = db_.Execute(
        "INSERT INTO services (name, spec_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (name) DO UPDATE SET spec_json = excluded.spec_json, "
        "updated_at = excluded.updated_at",
        name, spec_json, NowMs());
    if (!stored) return std::unexpected(stored.error());
    return {};
  });
}

Result<ServiceRecord> SqliteRuntimeStore::GetService(std::string_view name) {
  return Read<ServiceRecord>(
      fmt::format("cannot read service '{}'", name), [&]() -> Result<ServiceRecord> {
        Result<SqliteStatement> query = db_.Query(
            fmt::format("SELECT {} FROM services WHERE name = ?1", kServiceColumns), name);
        if (!query) return std::unexpected(query.error());
        Result<bool> row = query->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return Fail(ErrorCode::kNotFound, "no such service");
        return ServiceFromRow(*query);
      });
}

Result<std::vector<ServiceRecord>> SqliteRuntimeStore::ListServices() {
  return Read<std::vector<ServiceRecord>>(
      "cannot list services", [&]() -> Result<std::vector<ServiceRecord>> {
        Result<SqliteStatement> query =
            db_.Query(fmt::format("SELECT {} FROM services ORDER BY name", kServiceColumns));
        if (!query) return std::unexpected(query.error());
        return CollectRows<ServiceRecord>(*query, ServiceFromRow);
      });
}

Result<void> SqliteRuntimeStore::SetServing(std::string_view name, const ServingState& serving) {
  return Write<void>(fmt::format("cannot record what serves service '{}'", name),
                     [&]() -> Result<void> { return StoreServing(db_, name, serving, NowMs()); });
}

Result<void> SqliteRuntimeStore::PutRelease(const ReleaseRecord& release) {
  return Write<void>(
      fmt::format("cannot record release '{}' of service '{}'", release.id, release.service),
      [&]() -> Result<void> {
        if (release.id.empty()) return Fail(ErrorCode::kInvalidArgument, "a release needs an id");
        if (Result<void> known = RequireService(db_, release.service); !known) return known;
        // The first record stands: a release is immutable, and importing the same content
        // again must not move it to the top of the history.
        Result<int64_t> stored = db_.Execute(
            "INSERT INTO releases (service, id, path, spec_json, files, bytes, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (service, id) DO NOTHING",
            release.service, release.id, release.path, release.spec_json, release.files,
            release.bytes, release.created_at != 0 ? release.created_at : NowMs());
        if (!stored) return std::unexpected(stored.error());
        return {};
      });
}

Result<ReleaseRecord> SqliteRuntimeStore::GetRelease(std::string_view service,
                                                     std::string_view id) {
  return Read<ReleaseRecord>(
      fmt::format("cannot read release '{}' of service '{}'", id, service),
      [&]() -> Result<ReleaseRecord> {
        Result<SqliteStatement> query = db_.Query(
            fmt::format("SELECT {} FROM releases WHERE service = ?1 AND id = ?2", kReleaseColumns),
            service, id);
        if (!query) return std::unexpected(query.error());
        Result<bool> row = query->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return Fail(ErrorCode::kNotFound, "no such release");
        return ReleaseFromRow(*query);
      });
}

Result<std::vector<ReleaseRecord>> SqliteRuntimeStore::ListReleases(std::string_view service) {
  return Read<std::vector<ReleaseRecord>>(
      fmt::format("cannot list the releases of service '{}'", service),
      [&]() -> Result<std::vector<ReleaseRecord>> {
        Result<SqliteStatement> query =
            db_.Query(fmt::format("SELECT {} FROM releases WHERE service = ?1 "
                                  "ORDER BY created_at DESC, rowid DESC",
                                  kReleaseColumns),
                      service);
        if (!query) return std::unexpected(query.error());
        return CollectRows<ReleaseRecord>(*query, ReleaseFromRow);
      });
}

Result<void> SqliteRuntimeStore::PutHandlerProcess(const HandlerProcessRecord& process) {
  return Write<void>(
      fmt::format("cannot record handler process group {}", process.process_group),
      [&]() -> Result<void> {
        // A group id of 0 or below would make a later kill(-group) signal the wrong processes.
        if (process.process_group <= 0) {
          return Fail(ErrorCode::kInvalidArgument, "a process group id must be positive");
        }
        Result<int64_t> stored = db_.Execute(
            fmt::format("INSERT OR REPLACE INTO handler_processes ({}) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        kProcessColumns),
            process.process_group, static_cast<int64_t>(process.start_time), process.service,
            process.release, process.handler, process.port, process.role, process.owner.pid,
            static_cast<int64_t>(process.owner.start_time),
            process.started_at != 0 ? process.started_at : NowMs());
        if (!stored) return std::unexpected(stored.error());
        return {};
      });
}

Result<void> SqliteRuntimeStore::SetHandlerRole(int process_group, std::string_view role) {
  return Write<void>(
      fmt::format("cannot change the role of handler process group {}", process_group),
      [&]() -> Result<void> {
        Result<int64_t> changed = db_.Execute(
            "UPDATE handler_processes SET role = ?1 WHERE process_group = ?2", role, process_group);
        if (!changed) return std::unexpected(changed.error());
        if (*changed == 0) return Fail(ErrorCode::kNotFound, "it is not recorded");
        return {};
      });
}

Result<void> SqliteRuntimeStore::RemoveHandlerProcess(int process_group) {
  return Write<void>(
      fmt::format("cannot forget handler process group {}", process_group), [&]() -> Result<void> {
        Result<int64_t> removed =
            db_.Execute("DELETE FROM handler_processes WHERE process_group = ?1", process_group);
        if (!removed) return std::unexpected(removed.error());
        return {};
      });
}

Result<std::vector<HandlerProcessRecord>> SqliteRuntimeStore::ListHandlerProcesses() {
  return Read<std::vector<HandlerProcessRecord>>(
      "cannot list handler processes", [&]() -> Result<std::vector<HandlerProcessRecord>> {
        Result<SqliteStatement> query =
            db_.Query(fmt::format("SELECT {} FROM handler_processes ORDER BY started_at, "
                                  "process_group",
                                  kProcessColumns));
        if (!query) return std::unexpected(query.error());
        return CollectRows<HandlerProcessRecord>(*query, ProcessFromRow);
      });
}

Result<int64_t> SqliteRuntimeStore::AppendEvent(std::string_view service, std::string_view kind,
                                                std::string_view message,
                                                std::optional<DeploymentId> deployment) {
  return Write<int64_t>(
      fmt::format("cannot record an event of service '{}'", service), [&]() -> Result<int64_t> {
        if (Result<void> known = RequireService(db_, service); !known) {
          return std::unexpected(known.error());
        }
        if (deployment) {
          if (Result<void> known = RequireDeploymentOf(db_, *deployment, service); !known) {
            return std::unexpected(known.error());
          }
        }
        Result<int64_t> stored = db_.Execute(
            "INSERT INTO service_events (service, time, kind, message, deployment_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5)",
            service, NowMs(), kind, message, deployment);
        if (!stored) return std::unexpected(stored.error());
        return db_.LastInsertRowId();
      });
}

Result<std::vector<ServiceEvent>> SqliteRuntimeStore::ListEvents(std::string_view service,
                                                                 size_t limit) {
  return Read<std::vector<ServiceEvent>>(
      "cannot list events", [&]() -> Result<std::vector<ServiceEvent>> {
        Result<SqliteStatement> query =
            service.empty()
                ? db_.Query(fmt::format("SELECT {} FROM service_events ORDER BY id DESC LIMIT ?1",
                                        kEventColumns),
                            SqlLimit(limit))
                : db_.Query(fmt::format("SELECT {} FROM service_events WHERE service = ?1 "
                                        "ORDER BY id DESC LIMIT ?2",
                                        kEventColumns),
                            service, SqlLimit(limit));
        if (!query) return std::unexpected(query.error());
        return CollectRows<ServiceEvent>(*query, EventFromRow);
      });
}

}  // namespace lockstep::store
