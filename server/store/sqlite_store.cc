#include "server/store/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>

#include "server/common/strings.h"

namespace triggerfish::server::store {
namespace {

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Statement& Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, std::string_view blob) {
    sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t value) {
    sqlite3_bind_int64(stmt_, i, value);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return rc_ = sqlite3_step(stmt_); }
  std::string Text(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  absl::Status Error(std::string_view what) const {
    return absl::InternalError(StrCat(what, ": ", sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Schema versions; each entry migrates from version i to i + 1.
constexpr const char* kMigrations[] = {
    R"sql(
    CREATE TABLE rules (
      tenant   TEXT NOT NULL,
      id       TEXT NOT NULL,
      position INTEGER NOT NULL,
      revision INTEGER NOT NULL,
      body     BLOB NOT NULL,  -- serialized triggerfish.v1.Rule
      PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE requests (
      tenant      TEXT NOT NULL,
      request_id  TEXT NOT NULL,
      method      TEXT NOT NULL,
      fingerprint BLOB NOT NULL,
      response    BLOB NOT NULL,
      created_us  INTEGER NOT NULL,
      PRIMARY KEY (tenant, request_id)
    ) WITHOUT ROWID;
    )sql",
    R"sql(
    CREATE TABLE plugin_state (
      tenant TEXT NOT NULL,
      plugin TEXT NOT NULL,
      key    TEXT NOT NULL,
      value  BLOB NOT NULL,
      PRIMARY KEY (tenant, plugin, key)
    ) WITHOUT ROWID;
    )sql",
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(StrCat("cannot open store ", path, ": ", message));
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  // busy_timeout first: the other pragmas may already need to wait for a lock.
  for (const char* pragma : {"PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL",
                             "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (auto s = store->Exec(pragma); !s.ok()) {
      return absl::UnavailableError(StrCat("cannot open store ", path, ": ", s.message()));
    }
  }
  if (auto s = store->Migrate(); !s.ok()) return s;
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

absl::Status SqliteStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(message);
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Migrate() {
  std::lock_guard lock(mu_);
  Statement version(db_, "PRAGMA user_version");
  if (version.Step() != SQLITE_ROW) return version.Error("reading schema version");
  const int64_t current = version.Int(0);
  constexpr int64_t kLatest = std::size(kMigrations);
  if (current > kLatest) {
    return absl::FailedPreconditionError(
        StrCat("store schema version ", current, " is newer than this server's (", kLatest, ")"));
  }
  for (int64_t v = current; v < kLatest; ++v) {
    auto status = InTransaction([&]() -> absl::Status {
      if (auto s = Exec(kMigrations[v]); !s.ok()) return s;
      return Exec(StrCat("PRAGMA user_version = ", v + 1).c_str());
    });
    if (!status.ok()) {
      return absl::InternalError(
          StrCat("migrating store to version ", v + 1, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

template <typename Body>
absl::Status SqliteStore::InTransaction(Body&& body) {
  if (auto s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) Exec("ROLLBACK").IgnoreError();
  return status;
}

absl::StatusOr<std::vector<StoredRule>> SqliteStore::LoadRules() {
  std::lock_guard lock(mu_);
  Statement q(db_, "SELECT tenant, body FROM rules ORDER BY tenant, position, id");
  std::vector<StoredRule> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    StoredRule& r = out.emplace_back();
    r.tenant = q.Text(0);
    if (!r.rule.ParseFromString(q.Text(1))) {
      return absl::DataLossError(StrCat("stored rule of tenant ", r.tenant, " is corrupt"));
    }
  }
  if (rc != SQLITE_DONE) return q.Error("loading rules");
  return out;
}

absl::StatusOr<std::optional<RequestRecord>> SqliteStore::FindRequest(std::string_view tenant,
                                                                      std::string_view request_id) {
  std::lock_guard lock(mu_);
  Statement q(db_,
              "SELECT method, fingerprint, response FROM requests WHERE tenant = ? AND "
              "request_id = ?");
  q.Bind(1, tenant).Bind(2, request_id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading request record");
  return RequestRecord{std::string(request_id), q.Text(0), q.Text(1), q.Text(2)};
}

absl::Status SqliteStore::WriteRecord(std::string_view tenant, const RequestRecord& record) {
  Statement q(db_,
              "INSERT INTO requests (tenant, request_id, method, fingerprint, response, "
              "created_us) VALUES (?, ?, ?, ?, ?, ?)");
  q.Bind(1, tenant).Bind(2, record.request_id).Bind(3, record.method);
  q.BindBlob(4, record.fingerprint).BindBlob(5, record.response).Bind(6, NowMicros());
  if (q.Step() != SQLITE_DONE) return q.Error("writing request record");
  return absl::OkStatus();
}

absl::Status SqliteStore::InsertRule(std::string_view tenant, const v1::Rule& rule,
                                     const RequestRecord* record) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement q(db_,
                "INSERT INTO rules (tenant, id, position, revision, body) VALUES (?, ?, ?, ?, ?)");
    q.Bind(1, tenant).Bind(2, rule.id()).Bind(3, int64_t{rule.position()});
    q.Bind(4, rule.revision()).BindBlob(5, rule.SerializeAsString());
    const int rc = q.Step();
    if (rc == SQLITE_CONSTRAINT) {
      return absl::AlreadyExistsError(StrCat("rule \"", rule.id(), "\" already exists"));
    }
    if (rc != SQLITE_DONE) return q.Error("inserting rule");
    return record != nullptr ? WriteRecord(tenant, *record) : absl::OkStatus();
  });
}

absl::Status SqliteStore::UpdateRule(std::string_view tenant, const v1::Rule& rule,
                                     int64_t expected_revision, const RequestRecord* record) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement q(db_,
                "UPDATE rules SET position = ?, revision = ?, body = ? WHERE tenant = ? AND id = ? "
                "AND revision = ?");
    q.Bind(1, int64_t{rule.position()})
        .Bind(2, rule.revision())
        .BindBlob(3, rule.SerializeAsString());
    q.Bind(4, tenant).Bind(5, rule.id()).Bind(6, expected_revision);
    if (q.Step() != SQLITE_DONE) return q.Error("updating rule");
    if (sqlite3_changes(db_) == 0) {
      return absl::AbortedError(StrCat("rule \"", rule.id(), "\" was changed concurrently"));
    }
    return record != nullptr ? WriteRecord(tenant, *record) : absl::OkStatus();
  });
}

absl::Status SqliteStore::DeleteRule(std::string_view tenant, std::string_view id,
                                     int64_t expected_revision, const RequestRecord* record) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement q(db_, "DELETE FROM rules WHERE tenant = ? AND id = ? AND revision = ?");
    q.Bind(1, tenant).Bind(2, id).Bind(3, expected_revision);
    if (q.Step() != SQLITE_DONE) return q.Error("deleting rule");
    if (sqlite3_changes(db_) == 0) {
      return absl::AbortedError(StrCat("rule \"", id, "\" was changed concurrently"));
    }
    return record != nullptr ? WriteRecord(tenant, *record) : absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::string>> SqliteStore::GetPluginState(std::string_view tenant,
                                                                       std::string_view plugin,
                                                                       std::string_view key) {
  std::lock_guard lock(mu_);
  Statement q(db_, "SELECT value FROM plugin_state WHERE tenant = ? AND plugin = ? AND key = ?");
  q.Bind(1, tenant).Bind(2, plugin).Bind(3, key);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading plugin state");
  return q.Text(0);
}

}  // namespace triggerfish::server::store
