#include "server/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "server/common/strings.h"
#include "server/common/violations.h"
#include "server/engine/ticket_patch.h"

namespace triggerfish::server::store {
namespace {

// Prepared statements of each connection, kept for reuse: preparing a
// statement costs more than running it. Each connection's map is used only
// under that connection's mutex.
using StatementMap = std::unordered_map<std::string, sqlite3_stmt*>;

StatementMap& StatementsOf(sqlite3* db) {
  static std::mutex mu;
  static std::unordered_map<sqlite3*, std::unique_ptr<StatementMap>> all;
  std::lock_guard lock(mu);
  auto& map = all[db];
  if (!map) map = std::make_unique<StatementMap>();
  return *map;
}

void ForgetStatements(sqlite3* db) {
  StatementMap& map = StatementsOf(db);
  for (auto& [sql, stmt] : map) sqlite3_finalize(stmt);
  map.clear();
}

// A failed SQLite call as a status: RESOURCE_EXHAUSTED when the disk (or
// the database's size limit) is full, so that callers can tell the one
// failure that freeing space cures; INTERNAL otherwise.
absl::Status SqliteError(int extended_code, std::string_view message) {
  std::string text = StrCat(message, " (SQLite error ", extended_code, ")");
  if ((extended_code & 0xff) == SQLITE_FULL) return absl::ResourceExhaustedError(std::move(text));
  return absl::InternalError(std::move(text));
}

// A prepared statement from the connection's cache, reset for reuse on
// destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    StatementMap& map = StatementsOf(db);
    auto it = map.find(sql);
    if (it != map.end()) {
      stmt_ = it->second;
      rc_ = SQLITE_OK;
      return;
    }
    rc_ = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc_ == SQLITE_OK) map.emplace(sql, stmt_);
  }
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  // An empty string_view may have no data (std::string_view()): SQLite would
  // bind NULL for it, so bind "" instead.
  Statement& Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data() != nullptr ? text.data() : "",
                      static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& BindBlob(int i, std::string_view blob) {
    sqlite3_bind_blob(stmt_, i, blob.data() != nullptr ? blob.data() : "",
                      static_cast<int>(blob.size()), SQLITE_TRANSIENT);
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
  sqlite3_stmt* raw() const { return stmt_; }
  absl::Status Error(std::string_view what) const {
    return SqliteError(sqlite3_extended_errcode(db_), StrCat(what, ": ", sqlite3_errmsg(db_)));
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
    R"sql(
    CREATE TABLE events (
      tenant      TEXT NOT NULL,
      id          TEXT NOT NULL,
      type        TEXT NOT NULL,
      ticket_id   TEXT NOT NULL,
      occurred_us INTEGER NOT NULL,
      commit_us   INTEGER NOT NULL,
      body        BLOB NOT NULL,  -- serialized triggerfish.v1.Event
      response    BLOB NOT NULL,  -- serialized triggerfish.v1.PublishEventResponse
      PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE tickets (
      tenant        TEXT NOT NULL,
      id            TEXT NOT NULL,
      snapshot      BLOB NOT NULL,  -- serialized triggerfish.v1.Ticket
      last_event_id TEXT NOT NULL,
      last_event_us INTEGER NOT NULL,
      fired_rules   TEXT NOT NULL,  -- rule ids, newline separated
      updated_us    INTEGER NOT NULL,
      PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID;
    CREATE TABLE executions (
      id              TEXT PRIMARY KEY,
      tenant          TEXT NOT NULL,
      event_id        TEXT NOT NULL,
      ticket_id       TEXT NOT NULL,
      rule_id         TEXT NOT NULL,
      action_index    INTEGER NOT NULL,
      action_type     TEXT NOT NULL,
      mode            INTEGER NOT NULL,
      status          INTEGER NOT NULL,
      operation_id    TEXT NOT NULL,
      error           TEXT NOT NULL,
      output          TEXT NOT NULL,
      patch           BLOB NOT NULL,
      params          TEXT NOT NULL,
      ticket          TEXT NOT NULL,
      event           TEXT NOT NULL,
      attempts        INTEGER NOT NULL,
      attempt_base    INTEGER NOT NULL DEFAULT 0,  -- attempts before the last requeue
      next_attempt_us INTEGER NOT NULL,
      lease_until_us  INTEGER NOT NULL,
      created_us      INTEGER NOT NULL,
      updated_us      INTEGER NOT NULL,
      UNIQUE (tenant, operation_id)
    );
    CREATE INDEX executions_by_time ON executions (tenant, created_us, id);
    CREATE INDEX executions_due ON executions (status, next_attempt_us)
      WHERE status IN (3, 4);
    CREATE TABLE attempts (
      execution_id TEXT NOT NULL,
      number       INTEGER NOT NULL,
      status       INTEGER NOT NULL,
      error        TEXT NOT NULL,
      start_us     INTEGER NOT NULL,
      end_us       INTEGER NOT NULL,
      PRIMARY KEY (execution_id, number)
    ) WITHOUT ROWID;
    CREATE TABLE timers (
      tenant         TEXT NOT NULL,
      plugin         TEXT NOT NULL,
      key            TEXT NOT NULL,
      ticket_id      TEXT NOT NULL,
      due_us         INTEGER NOT NULL,
      event_type     TEXT NOT NULL,
      payload        TEXT NOT NULL,
      causation      TEXT NOT NULL,  -- event ids, newline separated
      lease_until_us INTEGER NOT NULL,
      PRIMARY KEY (tenant, plugin, key)
    ) WITHOUT ROWID;
    CREATE INDEX timers_due ON timers (due_us);
    )sql",
    R"sql(
    ALTER TABLE tickets ADD COLUMN latched TEXT NOT NULL DEFAULT '';  -- rule ids, newline separated
    )sql",
    R"sql(
    ALTER TABLE tickets ADD COLUMN assignee_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE tickets ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tickets_by_assignee ON tickets (tenant, assignee_id, status);
    CREATE TABLE agents (
      tenant TEXT NOT NULL,
      id     TEXT NOT NULL,
      body   BLOB NOT NULL,  -- serialized triggerfish.v1.Agent
      PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID;
    )sql",
    R"sql(
    ALTER TABLE executions ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE tickets ADD COLUMN last_event_trace_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE timers ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';
    )sql",
    // A ticket's executions, newest first (ListExecutions by ticket: an
    // agent's view of one ticket), without walking the tenant's whole trail.
    R"sql(
    CREATE INDEX executions_by_ticket ON executions (tenant, ticket_id, created_us, id);
    )sql",
    // Executions that have not succeeded, by status, newest first
    // (ListExecutions by status: the dead ones to retry, the failed ones to
    // look into) without walking the tenant's whole trail. Succeeded ones,
    // nearly all, stay out of it and cost it nothing. The statuses are OR-ed
    // equalities so that SQLite proves a query's literal "status = N"
    // implies them.
    R"sql(
    CREATE INDEX executions_by_status ON executions (tenant, status, created_us, id)
      WHERE status = 2 OR status = 3 OR status = 4 OR status = 5;
    )sql",
};

// Status numbers of v1::ExecutionStatus used in SQL.
constexpr int64_t kQueued = 3;
constexpr int64_t kRunning = 4;
constexpr int64_t kDead = 5;
constexpr int64_t kFailedAttempt = 2;
// v1::ACTION_MODE_INLINE.
constexpr int kInlineMode = 1;
// Why an attempt has no outcome: the process holding it stopped (crashed,
// killed, or its lease ran out) before the plugin returned.
constexpr char kInterrupted[] =
    "interrupted: the server stopped or lost the lease before the attempt finished";

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back('\n');
    out += item;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

constexpr char kExecutionColumns[] =
    "id, tenant, event_id, ticket_id, rule_id, action_index, action_type, mode, status, "
    "operation_id, error, output, patch, params, ticket, event, attempts, next_attempt_us, "
    "created_us, updated_us, attempt_base, trace_id";

// Writes a ticket's snapshot row; the assignee index's columns (assignee_id,
// status) are set on insert only: an update that changes them appends their
// assignments to the SET list.
constexpr char kTicketUpsert[] =
    "INSERT INTO tickets (tenant, id, snapshot, last_event_id, last_event_us, fired_rules, "
    "updated_us, latched, assignee_id, status, last_event_trace_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO UPDATE SET "
    "snapshot = excluded.snapshot, last_event_id = excluded.last_event_id, "
    "last_event_us = excluded.last_event_us, fired_rules = excluded.fired_rules, "
    "updated_us = excluded.updated_us, latched = excluded.latched, "
    "last_event_trace_id = excluded.last_event_trace_id";

// Columns: snapshot, last_event_id, last_event_us, fired_rules, updated_us,
// latched, last_event_trace_id.
TicketRow ReadTicket(const Statement& q) {
  TicketRow row;
  row.ticket.ParseFromString(q.Text(0));
  row.last_event_id = q.Text(1);
  row.last_event_us = q.Int(2);
  row.fired_rule_ids = SplitLines(q.Text(3));
  row.updated_us = q.Int(4);
  row.latched_rule_ids = SplitLines(q.Text(5));
  row.last_event_trace_id = q.Text(6);
  return row;
}

ExecutionRow ReadExecution(const Statement& q) {
  ExecutionRow r;
  r.id = q.Text(0);
  r.tenant = q.Text(1);
  r.event_id = q.Text(2);
  r.ticket_id = q.Text(3);
  r.rule_id = q.Text(4);
  r.action_index = static_cast<int>(q.Int(5));
  r.action_type = q.Text(6);
  r.mode = static_cast<int>(q.Int(7));
  r.status = static_cast<int>(q.Int(8));
  r.operation_id = q.Text(9);
  r.error = q.Text(10);
  r.output_json = q.Text(11);
  r.patch = q.Text(12);
  r.params_json = q.Text(13);
  r.ticket_json = q.Text(14);
  r.event_json = q.Text(15);
  r.attempts = static_cast<int>(q.Int(16));
  r.next_attempt_us = q.Int(17);
  r.created_us = q.Int(18);
  r.updated_us = q.Int(19);
  r.attempt_base = static_cast<int>(q.Int(20));
  r.trace_id = q.Text(21);
  return r;
}

// Why a conditional update or delete of rule `id` changed nothing: NOT_FOUND
// when the tenant has no such rule, else ABORTED (it is at another revision).
absl::Status RuleNotChanged(sqlite3* db, std::string_view tenant, std::string_view id) {
  Statement q(db, "SELECT 1 FROM rules WHERE tenant = ? AND id = ?");
  q.Bind(1, tenant).Bind(2, id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return absl::NotFoundError(StrCat("rule \"", id, "\" not found"));
  if (rc != SQLITE_ROW) return q.Error("reading rule");
  return absl::AbortedError(StrCat("rule \"", id, "\" was changed concurrently"));
}

absl::Status ExecOn(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error); rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return SqliteError(sqlite3_extended_errcode(db), message);
  }
  return absl::OkStatus();
}

}  // namespace

// A read connection taken from the pool (waiting while every one is in use)
// and given back on destruction. Each statement is a read transaction of
// its own unless Snapshot() opened one for every read until then.
class SqliteStore::Reader {
 public:
  explicit Reader(SqliteStore* store) : store_(store) {
    std::unique_lock lock(store->readers_mu_);
    store->readers_cv_.wait(lock, [&] { return !store->idle_readers_.empty(); });
    db_ = store->idle_readers_.back();
    store->idle_readers_.pop_back();
  }
  ~Reader() {
    // Ends the read (nothing to write). A connection given back inside a
    // transaction would serve that old snapshot to every later read.
    if (in_snapshot_ && !ExecOn(db_, "COMMIT").ok()) ExecOn(db_, "ROLLBACK").IgnoreError();
    {
      std::lock_guard lock(store_->readers_mu_);
      store_->idle_readers_.push_back(db_);
    }
    store_->readers_cv_.notify_one();
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  sqlite3* db() const { return db_; }
  // Makes the reads that follow see one committed state: a read that takes
  // several statements (an execution and its attempts) is not torn by a
  // commit between them.
  absl::Status Snapshot() {
    if (auto s = ExecOn(db_, "BEGIN"); !s.ok()) return s;
    in_snapshot_ = true;
    return absl::OkStatus();
  }

 private:
  SqliteStore* const store_;
  sqlite3* db_ = nullptr;
  bool in_snapshot_ = false;
};

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
  // The page cache is 8 MiB: the pages every commit touches (the B-trees'
  // upper levels and right edges, recent tickets) stay in it, and the rest
  // come from the operating system's cache. A larger one costs every commit
  // more than it saves: SQLite scans the cache's whole hash table when it
  // ends a write transaction (with 64 MiB, a tenth of the committer's time).
  for (const char* pragma :
       {"PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -8192"}) {
    if (auto s = store->Exec(pragma); !s.ok()) {
      return absl::UnavailableError(StrCat("cannot open store ", path, ": ", s.message()));
    }
  }
  if (auto s = store->Migrate(); !s.ok()) return s;
  // The read connections, opened once the schema is current. Each has a
  // 2 MiB page cache of its own.
  for (int i = 0; i < kReadConnections; ++i) {
    sqlite3* reader = nullptr;
    const int opened =
        sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    // The destructor closes it, also when opening failed (a null handle or
    // one that only holds the error).
    store->readers_.push_back(reader);
    absl::Status status = opened == SQLITE_OK ? ExecOn(reader, "PRAGMA busy_timeout = 5000")
                                              : absl::InternalError(sqlite3_errstr(opened));
    if (status.ok()) status = ExecOn(reader, "PRAGMA cache_size = -2048");
    if (!status.ok()) {
      return absl::UnavailableError(
          StrCat("cannot open a read connection to store ", path, ": ", status.message()));
    }
  }
  store->idle_readers_ = store->readers_;
  return store;
}

SqliteStore::~SqliteStore() {
  for (sqlite3* reader : readers_) {
    if (reader == nullptr) continue;
    ForgetStatements(reader);
    sqlite3_close(reader);
  }
  ForgetStatements(db_);
  sqlite3_close(db_);
}

absl::Status SqliteStore::Exec(const char* sql) { return ExecOn(db_, sql); }

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
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT tenant, body FROM rules ORDER BY tenant, position, id");
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
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db,
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
    if (sqlite3_changes(db_) == 0) return RuleNotChanged(db_, tenant, rule.id());
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
    if (sqlite3_changes(db_) == 0) return RuleNotChanged(db_, tenant, id);
    return record != nullptr ? WriteRecord(tenant, *record) : absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::string>> SqliteStore::GetPluginState(std::string_view tenant,
                                                                       std::string_view plugin,
                                                                       std::string_view key) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT value FROM plugin_state WHERE tenant = ? AND plugin = ? AND key = ?");
  q.Bind(1, tenant).Bind(2, plugin).Bind(3, key);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading plugin state");
  return q.Text(0);
}

absl::StatusOr<std::optional<v1::PublishEventResponse>> SqliteStore::FindEvent(
    std::string_view tenant, std::string_view id) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT response FROM events WHERE tenant = ? AND id = ?");
  q.Bind(1, tenant).Bind(2, id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading event");
  v1::PublishEventResponse response;
  if (!response.ParseFromString(q.Text(0)))
    return absl::DataLossError("stored response is corrupt");
  return response;
}

absl::Status SqliteStore::WriteEvent(EventCommit* c, CommitOutcome* outcome, int64_t now_us) {
  const v1::Event& e = c->event;
  const int64_t occurred_us =
      e.occurred_at().seconds() * 1'000'000 + e.occurred_at().nanos() / 1000;
  // The snapshot moves only forward in helpdesk event time.
  // The stored snapshot itself is only needed to merge an internal event's
  // patch into it.
  std::optional<TicketRow> stored;
  // The stored row's columns of the assignee index.
  std::string stored_assignee_id;
  int64_t stored_status = 0;
  {
    Statement q(db_,
                "SELECT last_event_us, latched, CASE WHEN ? THEN snapshot END, assignee_id, "
                "status FROM tickets WHERE tenant = ? AND id = ?");
    q.Bind(1, int64_t{c->internal}).Bind(2, c->tenant).Bind(3, e.ticket().id());
    const int rc = q.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return q.Error("reading ticket");
    if (rc == SQLITE_ROW) {
      stored.emplace();
      stored->last_event_us = q.Int(0);
      stored->latched_rule_ids = SplitLines(q.Text(1));
      if (c->internal) stored->ticket.ParseFromString(q.Text(2));
      stored_assignee_id = q.Text(3);
      stored_status = q.Int(4);
    }
  }
  int64_t snapshot_event_us = occurred_us;
  if (c->internal && stored) {
    // Apply what the internal event changed to the snapshot as it is now
    // (a helpdesk event may have been committed since it was read).
    v1::Ticket merged = stored->ticket;
    engine::ApplyPatch(c->response.ticket_patch(), &merged);
    c->ticket = std::move(merged);
    snapshot_event_us = stored->last_event_us;
    c->response.set_snapshot_updated(true);
  } else {
    c->response.set_snapshot_updated(!stored || occurred_us >= stored->last_event_us);
  }
  const std::vector<std::string> latched =
      c->latched_rule_ids ? *c->latched_rule_ids
                          : (stored ? stored->latched_rule_ids : std::vector<std::string>{});

  c->response.mutable_commit_time()->set_seconds(now_us / 1'000'000);
  c->response.mutable_commit_time()->set_nanos(static_cast<int32_t>(now_us % 1'000'000) * 1000);
  {
    Statement q(db_,
                "INSERT INTO events (tenant, id, type, ticket_id, occurred_us, commit_us, body, "
                "response) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
    q.Bind(1, c->tenant).Bind(2, e.id()).Bind(3, e.type()).Bind(4, e.ticket().id());
    q.Bind(5, occurred_us).Bind(6, now_us).BindBlob(7, e.SerializeAsString());
    q.BindBlob(8, c->response.SerializeAsString());
    if (q.Step() != SQLITE_DONE) return q.Error("inserting event");
    if (sqlite3_changes(db_) == 0) {
      // Committed before (by another request with the same id).
      Statement r(db_, "SELECT response FROM events WHERE tenant = ? AND id = ?");
      r.Bind(1, c->tenant).Bind(2, e.id());
      if (r.Step() != SQLITE_ROW) return r.Error("reading event");
      outcome->duplicate = true;
      outcome->response.ParseFromString(r.Text(0));
      outcome->response.set_duplicate(true);
      return absl::OkStatus();
    }
  }
  if (c->response.snapshot_updated()) {
    // SQLite rewrites an index entry whenever its columns are assigned, even
    // to the values they have: the assignee index's columns are assigned
    // only when they change (most events change neither).
    const bool index_unchanged = stored && stored_assignee_id == c->ticket.assignee_id() &&
                                 stored_status == int64_t{c->ticket.status()};
    static const std::string kWithIndexColumns =
        StrCat(kTicketUpsert, ", assignee_id = excluded.assignee_id, status = excluded.status");
    Statement q(db_, index_unchanged ? kTicketUpsert : kWithIndexColumns.c_str());
    q.Bind(1, c->tenant).Bind(2, e.ticket().id()).BindBlob(3, c->ticket.SerializeAsString());
    q.Bind(4, e.id()).Bind(5, snapshot_event_us).Bind(6, JoinLines(c->fired_rule_ids));
    q.Bind(7, now_us).Bind(8, JoinLines(latched)).Bind(9, c->ticket.assignee_id());
    q.Bind(10, int64_t{c->ticket.status()}).Bind(11, e.trace_id());
    if (q.Step() != SQLITE_DONE) return q.Error("writing ticket");
  }
  for (const ExecutionRow& x : c->executions) {
    static const std::string kInsert =
        StrCat("INSERT INTO executions (", kExecutionColumns,
               ", lease_until_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
               "?, 0, ?, 0)");
    Statement q(db_, kInsert.c_str());
    q.Bind(1, x.id).Bind(2, c->tenant).Bind(3, x.event_id).Bind(4, x.ticket_id).Bind(5, x.rule_id);
    q.Bind(6, int64_t{x.action_index}).Bind(7, x.action_type).Bind(8, int64_t{x.mode});
    q.Bind(9, int64_t{x.status}).Bind(10, x.operation_id).Bind(11, x.error).Bind(12, x.output_json);
    q.BindBlob(13, x.patch).Bind(14, x.params_json).Bind(15, x.ticket_json).Bind(16, x.event_json);
    q.Bind(17, int64_t{x.attempts}).Bind(18, x.next_attempt_us).Bind(19, now_us).Bind(20, now_us);
    q.Bind(21, x.trace_id);
    if (q.Step() != SQLITE_DONE) return q.Error("inserting execution");
    for (const AttemptRow& a : x.attempt_rows) {
      Statement aq(db_,
                   "INSERT INTO attempts (execution_id, number, status, error, start_us, end_us) "
                   "VALUES (?, ?, ?, ?, ?, ?)");
      aq.Bind(1, x.id).Bind(2, int64_t{a.number}).Bind(3, int64_t{a.status}).Bind(4, a.error);
      aq.Bind(5, a.start_us).Bind(6, a.end_us);
      if (aq.Step() != SQLITE_DONE) return aq.Error("inserting attempt");
    }
  }
  for (const auto& [plugin_key, value] : c->state_writes) {
    if (value) {
      Statement q(db_,
                  "INSERT INTO plugin_state (tenant, plugin, key, value) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (tenant, plugin, key) DO UPDATE SET value = excluded.value");
      q.Bind(1, c->tenant).Bind(2, plugin_key.first).Bind(3, plugin_key.second).BindBlob(4, *value);
      if (q.Step() != SQLITE_DONE) return q.Error("writing plugin state");
    } else {
      Statement q(db_, "DELETE FROM plugin_state WHERE tenant = ? AND plugin = ? AND key = ?");
      q.Bind(1, c->tenant).Bind(2, plugin_key.first).Bind(3, plugin_key.second);
      if (q.Step() != SQLITE_DONE) return q.Error("deleting plugin state");
    }
  }
  if (c->fired_timer) {
    const TimerRow& t = *c->fired_timer;
    Statement q(db_,
                "DELETE FROM timers WHERE tenant = ? AND plugin = ? AND key = ? AND due_us = ?");
    q.Bind(1, t.tenant).Bind(2, t.plugin).Bind(3, t.key).Bind(4, t.due_us);
    if (q.Step() != SQLITE_DONE) return q.Error("deleting fired timer");
  }
  for (const TimerRow& t : c->timers) {
    if (t.cancel) {
      Statement q(db_, "DELETE FROM timers WHERE tenant = ? AND plugin = ? AND key = ?");
      q.Bind(1, c->tenant).Bind(2, t.plugin).Bind(3, t.key);
      if (q.Step() != SQLITE_DONE) return q.Error("cancelling timer");
      continue;
    }
    Statement q(db_,
                "INSERT INTO timers (tenant, plugin, key, ticket_id, due_us, event_type, payload, "
                "causation, lease_until_us, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) "
                "ON CONFLICT (tenant, plugin, key) DO UPDATE SET ticket_id = excluded.ticket_id, "
                "due_us = excluded.due_us, event_type = excluded.event_type, "
                "payload = excluded.payload, causation = excluded.causation, lease_until_us = 0, "
                "trace_id = excluded.trace_id");
    q.Bind(1, c->tenant).Bind(2, t.plugin).Bind(3, t.key).Bind(4, t.ticket_id).Bind(5, t.due_us);
    q.Bind(6, t.event_type).Bind(7, t.payload_json).Bind(8, JoinLines(t.causation_ids));
    q.Bind(9, t.trace_id);
    if (q.Step() != SQLITE_DONE) return q.Error("writing timer");
  }
  // Nothing reads the commit's response after this (a failed transaction
  // replaces every outcome with its error).
  outcome->response = std::move(c->response);
  return absl::OkStatus();
}

absl::Status SqliteStore::ForEachEventId(
    const std::function<void(std::string_view tenant, std::string_view id)>& fn) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT tenant, id FROM events");
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) fn(q.Text(0), q.Text(1));
  if (rc != SQLITE_DONE) return q.Error("listing event ids");
  return absl::OkStatus();
}

std::vector<CommitOutcome> SqliteStore::CommitEvents(const std::vector<EventCommit*>& batch) {
  std::vector<CommitOutcome> outcomes(batch.size());
  std::lock_guard lock(mu_);
  const int64_t now_us = NowMicros();
  absl::Status status = InTransaction([&]() -> absl::Status {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (auto s = WriteEvent(batch[i], &outcomes[i], now_us); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    // Nothing of the batch was stored, and publishing again can succeed:
    // UNAVAILABLE, with the reason a client or an operator can act on.
    const bool full = absl::IsResourceExhausted(status);
    const absl::Status failed =
        WithReason(absl::UnavailableError(StrCat(
                       "store commit failed", full ? " (the disk holding the store is full)" : "",
                       ": ", status.message(), "; nothing of this event was stored")),
                   full ? "STORE_FULL" : "STORE_COMMIT_FAILED");
    for (auto& o : outcomes) {
      o = CommitOutcome{};
      o.status = failed;
    }
  }
  return outcomes;
}

absl::StatusOr<std::optional<TicketRow>> SqliteStore::GetTicket(std::string_view tenant,
                                                                std::string_view id) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db,
              "SELECT snapshot, last_event_id, last_event_us, fired_rules, updated_us, latched, "
              "last_event_trace_id FROM tickets WHERE tenant = ? AND id = ?");
  q.Bind(1, tenant).Bind(2, id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading ticket");
  return ReadTicket(q);
}

absl::StatusOr<std::vector<TicketRow>> SqliteStore::ListTickets(std::string_view tenant,
                                                                std::string_view after_id,
                                                                int limit) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db,
              "SELECT snapshot, last_event_id, last_event_us, fired_rules, updated_us, latched, "
              "last_event_trace_id FROM tickets WHERE tenant = ? AND id > ? ORDER BY id LIMIT ?");
  q.Bind(1, tenant).Bind(2, after_id).Bind(3, int64_t{limit});
  std::vector<TicketRow> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    out.push_back(ReadTicket(q));
  }
  if (rc != SQLITE_DONE) return q.Error("listing tickets");
  return out;
}

absl::Status SqliteStore::LoadAttempts(sqlite3* db, ExecutionRow* row) {
  Statement q(db,
              "SELECT number, status, error, start_us, end_us FROM attempts WHERE execution_id = ? "
              "ORDER BY number");
  q.Bind(1, row->id);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    row->attempt_rows.push_back(
        {static_cast<int>(q.Int(0)), static_cast<int>(q.Int(1)), q.Text(2), q.Int(3), q.Int(4)});
  }
  if (rc != SQLITE_DONE) return q.Error("reading attempts");
  if (row->attempt_rows.empty() && row->mode == kInlineMode && row->attempts == 1) {
    // An inline action's one attempt is the execution itself, made during
    // the cycle: it is not stored twice.
    row->attempt_rows.push_back({1, row->status, row->error, row->created_us, row->created_us});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ExecutionRow>> SqliteStore::GetExecution(std::string_view tenant,
                                                                      std::string_view id) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  if (auto s = reader.Snapshot(); !s.ok()) return s;
  Statement q(
      db,
      StrCat("SELECT ", kExecutionColumns, " FROM executions WHERE tenant = ? AND id = ?").c_str());
  q.Bind(1, tenant).Bind(2, id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading execution");
  ExecutionRow row = ReadExecution(q);
  if (auto s = LoadAttempts(db, &row); !s.ok()) return s;
  return row;
}

std::string SqliteStore::ListExecutionsSql(const ExecutionFilter& f) {
  std::string sql = StrCat("SELECT ", kExecutionColumns, " FROM executions WHERE tenant = ?1");
  if (!f.ticket_id.empty()) sql += " AND ticket_id = ?2";
  if (!f.rule_id.empty()) sql += " AND rule_id = ?3";
  if (!f.action_type.empty()) sql += " AND action_type = ?4";
  if (!f.event_id.empty()) sql += " AND event_id = ?5";
  // A literal, for the partial index executions_by_status.
  if (f.status != 0) sql += StrCat(" AND status = ", f.status);
  if (f.start_us != 0) sql += " AND created_us >= ?7";
  if (f.end_us != 0) sql += " AND created_us < ?8";
  if (f.before_created_us != 0) sql += " AND (created_us, id) < (?9, ?10)";
  sql += " ORDER BY created_us DESC, id DESC LIMIT ?11";
  return sql;
}

absl::StatusOr<std::vector<ExecutionRow>> SqliteStore::ListExecutions(std::string_view tenant,
                                                                      const ExecutionFilter& f,
                                                                      int limit) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  if (auto s = reader.Snapshot(); !s.ok()) return s;
  Statement q(db, ListExecutionsSql(f).c_str());
  q.Bind(1, tenant).Bind(2, f.ticket_id).Bind(3, f.rule_id).Bind(4, f.action_type);
  q.Bind(5, f.event_id).Bind(7, f.start_us).Bind(8, f.end_us);
  q.Bind(9, f.before_created_us).Bind(10, f.before_id).Bind(11, int64_t{limit});
  std::vector<ExecutionRow> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadExecution(q));
  if (rc != SQLITE_DONE) return q.Error("listing executions");
  for (auto& row : out) {
    if (auto s = LoadAttempts(db, &row); !s.ok()) return s;
  }
  return out;
}

absl::StatusOr<std::vector<ExecutionRow>> SqliteStore::ClaimDeferred(int64_t now_us,
                                                                     int64_t lease_us, int limit) {
  std::lock_guard lock(mu_);
  std::vector<ExecutionRow> out;
  absl::Status status = InTransaction([&]() -> absl::Status {
    // The statuses are literals so that SQLite can prove the partial index
    // executions_due applies: with bound statuses it scans every execution
    // ever recorded, on every poll of every outbox worker.
    static const std::string kClaim = StrCat(
        "SELECT ", kExecutionColumns, " FROM executions WHERE status IN (", kQueued, ", ", kRunning,
        ") AND ((status = ", kQueued, " AND next_attempt_us <= ?1) OR (status = ", kRunning,
        " AND lease_until_us <= ?1)) ORDER BY next_attempt_us LIMIT ?2");
    Statement q(db_, kClaim.c_str());
    q.Bind(1, now_us).Bind(2, int64_t{limit});
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadExecution(q));
    if (rc != SQLITE_DONE) return q.Error("claiming executions");
    for (auto& row : out) {
      if (row.status == kRunning) {
        Statement i(db_,
                    "UPDATE attempts SET status = ?, error = ?, end_us = ? WHERE execution_id = ? "
                    "AND status = ?");
        i.Bind(1, kFailedAttempt).Bind(2, kInterrupted).Bind(3, now_us).Bind(4, row.id);
        i.Bind(5, kRunning);
        if (i.Step() != SQLITE_DONE) return i.Error("recording an interrupted attempt");
      }
      Statement u(
          db_, "UPDATE executions SET status = ?, lease_until_us = ?, updated_us = ? WHERE id = ?");
      u.Bind(1, kRunning).Bind(2, now_us + lease_us).Bind(3, now_us).Bind(4, row.id);
      if (u.Step() != SQLITE_DONE) return u.Error("leasing execution");
      row.status = static_cast<int>(kRunning);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteStore::BeginAttempt(const std::string& id, int number, int64_t start_us) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement a(db_,
                "INSERT OR REPLACE INTO attempts (execution_id, number, status, error, start_us, "
                "end_us) VALUES (?, ?, ?, '', ?, 0)");
    a.Bind(1, id).Bind(2, int64_t{number}).Bind(3, kRunning).Bind(4, start_us);
    if (a.Step() != SQLITE_DONE) return a.Error("recording the start of an attempt");
    Statement u(db_, "UPDATE executions SET attempts = ?, updated_us = ? WHERE id = ?");
    u.Bind(1, int64_t{number}).Bind(2, start_us).Bind(3, id);
    if (u.Step() != SQLITE_DONE) return u.Error("counting an attempt");
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::FinishAttempt(const std::string& id, const AttemptRow& attempt,
                                        int status, int64_t next_attempt_us,
                                        const std::string& output_json) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement a(db_,
                "INSERT OR REPLACE INTO attempts (execution_id, number, status, error, start_us, "
                "end_us) VALUES (?, ?, ?, ?, ?, ?)");
    a.Bind(1, id).Bind(2, int64_t{attempt.number}).Bind(3, int64_t{attempt.status});
    a.Bind(4, attempt.error).Bind(5, attempt.start_us).Bind(6, attempt.end_us);
    if (a.Step() != SQLITE_DONE) return a.Error("recording attempt");
    Statement u(db_,
                "UPDATE executions SET status = ?, attempts = ?, error = ?, output = ?, "
                "next_attempt_us = ?, lease_until_us = 0, updated_us = ? WHERE id = ?");
    u.Bind(1, int64_t{status}).Bind(2, int64_t{attempt.number}).Bind(3, attempt.error);
    u.Bind(4, output_json).Bind(5, next_attempt_us).Bind(6, attempt.end_us).Bind(7, id);
    if (u.Step() != SQLITE_DONE) return u.Error("updating execution");
    return absl::OkStatus();
  });
}

absl::StatusOr<ExecutionRow> SqliteStore::RequeueExecution(std::string_view tenant,
                                                           std::string_view id, int64_t now_us) {
  int changed = 0;
  {
    std::lock_guard lock(mu_);
    Statement u(db_,
                "UPDATE executions SET status = ?, attempt_base = attempts, next_attempt_us = ?, "
                "lease_until_us = 0, updated_us = ? WHERE tenant = ? AND id = ? AND status = ?");
    u.Bind(1, kQueued).Bind(2, now_us).Bind(3, now_us).Bind(4, tenant).Bind(5, id).Bind(6, kDead);
    if (u.Step() != SQLITE_DONE) return u.Error("requeueing execution");
    changed = sqlite3_changes(db_);
  }
  auto row = GetExecution(tenant, id);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError(StrCat("execution \"", id, "\" not found"));
  if (changed == 0) {
    return absl::FailedPreconditionError(
        StrCat("execution \"", id, "\" is not a dead deferred action"));
  }
  return std::move(**row);
}

absl::StatusOr<std::vector<TimerRow>> SqliteStore::ClaimDueTimers(int64_t now_us, int64_t lease_us,
                                                                  int limit) {
  std::lock_guard lock(mu_);
  std::vector<TimerRow> out;
  absl::Status status = InTransaction([&]() -> absl::Status {
    Statement q(
        db_,
        "SELECT tenant, plugin, key, ticket_id, due_us, event_type, payload, causation, "
        "trace_id FROM timers WHERE due_us <= ? AND lease_until_us <= ? ORDER BY due_us LIMIT ?");
    q.Bind(1, now_us).Bind(2, now_us).Bind(3, int64_t{limit});
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      TimerRow& t = out.emplace_back();
      t.tenant = q.Text(0);
      t.plugin = q.Text(1);
      t.key = q.Text(2);
      t.ticket_id = q.Text(3);
      t.due_us = q.Int(4);
      t.event_type = q.Text(5);
      t.payload_json = q.Text(6);
      t.causation_ids = SplitLines(q.Text(7));
      t.trace_id = q.Text(8);
    }
    if (rc != SQLITE_DONE) return q.Error("claiming timers");
    for (const auto& t : out) {
      Statement u(
          db_, "UPDATE timers SET lease_until_us = ? WHERE tenant = ? AND plugin = ? AND key = ?");
      u.Bind(1, now_us + lease_us).Bind(2, t.tenant).Bind(3, t.plugin).Bind(4, t.key);
      if (u.Step() != SQLITE_DONE) return u.Error("leasing timer");
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::Status SqliteStore::ReleaseTimer(const TimerRow& t) {
  std::lock_guard lock(mu_);
  Statement u(db_,
              "UPDATE timers SET lease_until_us = 0 WHERE tenant = ? AND plugin = ? AND key = ?");
  u.Bind(1, t.tenant).Bind(2, t.plugin).Bind(3, t.key);
  if (u.Step() != SQLITE_DONE) return u.Error("releasing timer");
  return absl::OkStatus();
}

absl::Status SqliteStore::DeleteTimer(const TimerRow& t) {
  std::lock_guard lock(mu_);
  Statement q(db_, "DELETE FROM timers WHERE tenant = ? AND plugin = ? AND key = ? AND due_us = ?");
  q.Bind(1, t.tenant).Bind(2, t.plugin).Bind(3, t.key).Bind(4, t.due_us);
  if (q.Step() != SQLITE_DONE) return q.Error("deleting timer");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> SqliteStore::NextTimerDue() {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT MIN(due_us) FROM timers");
  if (q.Step() != SQLITE_ROW) return q.Error("reading timers");
  if (sqlite3_column_type(q.raw(), 0) == SQLITE_NULL) return std::nullopt;
  return q.Int(0);
}

absl::StatusOr<Backlog> SqliteStore::CountBacklog(int64_t now_us) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  if (auto s = reader.Snapshot(); !s.ok()) return s;
  Backlog backlog;
  // `status IN (3, 4)` is the partial index's own condition, so this reads
  // the index of the outbox, not the whole audit trail.
  Statement q(db, "SELECT status, COUNT(*) FROM executions WHERE status IN (3, 4) GROUP BY status");
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    (q.Int(0) == kQueued ? backlog.deferred_queued : backlog.deferred_running) = q.Int(1);
  }
  if (rc != SQLITE_DONE) return q.Error("counting deferred executions");
  Statement t(db, "SELECT COUNT(*) FILTER (WHERE due_us <= ?), COUNT(*) FROM timers");
  t.Bind(1, now_us);
  if (t.Step() != SQLITE_ROW) return t.Error("counting timers");
  backlog.timers_due = t.Int(0);
  backlog.timers_total = t.Int(1);
  return backlog;
}

absl::Status SqliteStore::ReclaimLeases() {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    // Through the partial index executions_due (statuses as literals, see
    // ClaimDeferred), not a scan of every execution and attempt ever made.
    static const std::string kRunningIds =
        StrCat("SELECT id FROM executions WHERE status IN (", kQueued, ", ", kRunning,
               ") AND status = ", kRunning);
    static const std::string kInterruptAttempts =
        StrCat("UPDATE attempts SET status = ?, error = ?, end_us = start_us WHERE status = ? AND ",
               "execution_id IN (", kRunningIds, ")");
    Statement i(db_, kInterruptAttempts.c_str());
    i.Bind(1, kFailedAttempt).Bind(2, kInterrupted).Bind(3, kRunning);
    if (i.Step() != SQLITE_DONE) return i.Error("recording interrupted attempts");
    static const std::string kReclaim =
        StrCat("UPDATE executions SET status = ?, lease_until_us = 0 WHERE status IN (", kQueued,
               ", ", kRunning, ") AND status = ", kRunning);
    Statement a(db_, kReclaim.c_str());
    a.Bind(1, kQueued);
    if (a.Step() != SQLITE_DONE) return a.Error("reclaiming executions");
    Statement b(db_, "UPDATE timers SET lease_until_us = 0 WHERE lease_until_us != 0");
    if (b.Step() != SQLITE_DONE) return b.Error("reclaiming timers");
    return absl::OkStatus();
  });
}

absl::Status SqliteStore::PutPluginState(std::string_view tenant, std::string_view plugin,
                                         std::string_view key, std::optional<std::string> value) {
  std::lock_guard lock(mu_);
  if (value) {
    Statement q(db_,
                "INSERT INTO plugin_state (tenant, plugin, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tenant, plugin, key) DO UPDATE SET value = excluded.value");
    q.Bind(1, tenant).Bind(2, plugin).Bind(3, key).BindBlob(4, *value);
    if (q.Step() != SQLITE_DONE) return q.Error("writing plugin state");
  } else {
    Statement q(db_, "DELETE FROM plugin_state WHERE tenant = ? AND plugin = ? AND key = ?");
    q.Bind(1, tenant).Bind(2, plugin).Bind(3, key);
    if (q.Step() != SQLITE_DONE) return q.Error("deleting plugin state");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SqliteStore::CompareAndSetPluginState(
    std::string_view tenant, std::string_view plugin, std::string_view key,
    const std::optional<std::string>& expected, std::string_view desired) {
  std::lock_guard lock(mu_);
  if (expected) {
    Statement q(db_,
                "UPDATE plugin_state SET value = ? WHERE tenant = ? AND plugin = ? AND key = ? AND "
                "value = ?");
    q.BindBlob(1, desired).Bind(2, tenant).Bind(3, plugin).Bind(4, key).BindBlob(5, *expected);
    if (q.Step() != SQLITE_DONE) return q.Error("updating plugin state");
  } else {
    Statement q(db_,
                "INSERT INTO plugin_state (tenant, plugin, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING");
    q.Bind(1, tenant).Bind(2, plugin).Bind(3, key).BindBlob(4, desired);
    if (q.Step() != SQLITE_DONE) return q.Error("inserting plugin state");
  }
  return sqlite3_changes(db_) == 1;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListPluginState(
    std::string_view tenant, std::string_view plugin, std::string_view prefix,
    std::string_view after_key, int limit) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db,
              "SELECT key, value FROM plugin_state WHERE tenant = ? AND plugin = ? AND key > ? AND "
              "substr(key, 1, ?) = ? ORDER BY key LIMIT ?");
  q.Bind(1, tenant).Bind(2, plugin).Bind(3, after_key).Bind(4, static_cast<int64_t>(prefix.size()));
  q.Bind(5, prefix).Bind(6, int64_t{limit});
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.emplace_back(q.Text(0), q.Text(1));
  if (rc != SQLITE_DONE) return q.Error("listing plugin state");
  return out;
}

absl::Status SqliteStore::PutAgent(std::string_view tenant, const v1::Agent& agent,
                                   bool create_only, std::string_view expected_etag) {
  std::lock_guard lock(mu_);
  return InTransaction([&]() -> absl::Status {
    Statement get(db_, "SELECT body FROM agents WHERE tenant = ? AND id = ?");
    get.Bind(1, tenant).Bind(2, agent.id());
    const int rc = get.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return get.Error("reading agent");
    if (rc == SQLITE_ROW) {
      if (create_only) {
        return absl::AlreadyExistsError(StrCat("agent \"", agent.id(), "\" already exists"));
      }
      v1::Agent current;
      current.ParseFromString(get.Text(0));
      if (!expected_etag.empty() && current.etag() != expected_etag) {
        return absl::AbortedError(
            StrCat("etag mismatch: agent \"", agent.id(), "\" is at etag ", current.etag()));
      }
    } else if (!expected_etag.empty()) {
      return absl::NotFoundError(StrCat("agent \"", agent.id(), "\" not found"));
    }
    Statement put(db_,
                  "INSERT INTO agents (tenant, id, body) VALUES (?, ?, ?) ON CONFLICT (tenant, id) "
                  "DO UPDATE SET body = excluded.body");
    put.Bind(1, tenant).Bind(2, agent.id()).BindBlob(3, agent.SerializeAsString());
    if (put.Step() != SQLITE_DONE) return put.Error("writing agent");
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<v1::Agent>> SqliteStore::GetAgent(std::string_view tenant,
                                                               std::string_view id) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT body FROM agents WHERE tenant = ? AND id = ?");
  q.Bind(1, tenant).Bind(2, id);
  const int rc = q.Step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return q.Error("reading agent");
  v1::Agent agent;
  agent.ParseFromString(q.Text(0));
  return agent;
}

absl::StatusOr<std::vector<v1::Agent>> SqliteStore::ListAgents(std::string_view tenant,
                                                               std::string_view after_id, int limit,
                                                               std::string_view group,
                                                               std::optional<bool> available) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db, "SELECT body FROM agents WHERE tenant = ? AND id > ? ORDER BY id");
  q.Bind(1, tenant).Bind(2, after_id);
  std::vector<v1::Agent> out;
  int rc;
  while (static_cast<int>(out.size()) < limit && (rc = q.Step()) == SQLITE_ROW) {
    v1::Agent agent;
    agent.ParseFromString(q.Text(0));
    if (!group.empty() &&
        std::find(agent.groups().begin(), agent.groups().end(), group) == agent.groups().end()) {
      continue;
    }
    if (available && agent.available() != *available) continue;
    out.push_back(std::move(agent));
  }
  return out;
}

absl::Status SqliteStore::DeleteAgent(std::string_view tenant, std::string_view id) {
  std::lock_guard lock(mu_);
  Statement q(db_, "DELETE FROM agents WHERE tenant = ? AND id = ?");
  q.Bind(1, tenant).Bind(2, id);
  if (q.Step() != SQLITE_DONE) return q.Error("deleting agent");
  if (sqlite3_changes(db_) == 0) return absl::NotFoundError(StrCat("agent \"", id, "\" not found"));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteStore::OpenTicketCount(std::string_view tenant,
                                                     std::string_view agent_id) {
  Reader reader(this);
  sqlite3* const db = reader.db();
  Statement q(db,
              "SELECT COUNT(*) FROM tickets WHERE tenant = ? AND assignee_id = ? AND status NOT IN "
              "(5, 6)");
  q.Bind(1, tenant).Bind(2, agent_id);
  if (q.Step() != SQLITE_ROW) return q.Error("counting tickets");
  return q.Int(0);
}

}  // namespace triggerfish::server::store
