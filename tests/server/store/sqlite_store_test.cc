#include "server/store/sqlite_store.h"

#include <dlfcn.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "triggerfish/v1/execution_service.pb.h"
#include "triggerfish/v1/plugin_service.pb.h"

// The writable connection SqliteStore::Open opened last. The store opens its
// connections with SQLITE_OPEN_NOMUTEX (the tests' own connections do not),
// so interposing sqlite3_open_v2 lets a test read the per-connection pragmas
// (synchronous, busy_timeout) on the connection the store writes with:
// another connection only shows its own settings.
namespace {
std::atomic<sqlite3*> g_store_db{nullptr};
}  // namespace

extern "C" int sqlite3_open_v2(const char* filename, sqlite3** db, int flags, const char* vfs) {
  using OpenFn = int (*)(const char*, sqlite3**, int, const char*);
  static const OpenFn real_open = reinterpret_cast<OpenFn>(dlsym(RTLD_NEXT, "sqlite3_open_v2"));
  const int rc = real_open(filename, db, flags, vfs);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_NOMUTEX) != 0 &&
      (flags & SQLITE_OPEN_READWRITE) != 0) {
    g_store_db = *db;
  }
  return rc;
}

namespace triggerfish::server::store {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kTenant[] = "acme";
constexpr char kOtherTenant[] = "globex";
constexpr int kQueued = v1::EXECUTION_STATUS_QUEUED;
constexpr int kRunning = v1::EXECUTION_STATUS_RUNNING;
constexpr int kSucceeded = v1::EXECUTION_STATUS_SUCCEEDED;
constexpr int kFailed = v1::EXECUTION_STATUS_FAILED;
constexpr int kDead = v1::EXECUTION_STATUS_DEAD;
constexpr int64_t kLongLease = 1'000'000'000'000;

// The value of `v`, or a default one after recording a test failure.
template <typename T>
T Value(absl::StatusOr<T> v) {
  if (!v.ok()) {
    ADD_FAILURE() << v.status();
    return T{};
  }
  return *std::move(v);
}

// A plain connection to the store's file, next to the store's own.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Exec(const char* sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  // The first column of each row `sql` returns, as text.
  std::vector<std::string> Column(const char* sql) { return ColumnOf(db_, sql); }

  static std::vector<std::string> ColumnOf(sqlite3* db, const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::vector<std::string> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

google::protobuf::Timestamp Ts(int64_t us) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(us / 1'000'000);
  ts.set_nanos(static_cast<int32_t>(us % 1'000'000) * 1000);
  return ts;
}

v1::Rule MakeRule(const std::string& id, int64_t revision, int position = 0,
                  const std::string& name = "a rule") {
  v1::Rule rule;
  rule.set_id(id);
  rule.set_name(name);
  rule.set_position(position);
  rule.set_revision(revision);
  return rule;
}

// The commit of event `event_id` on ticket `ticket_id`, with a response
// naming one fired rule.
EventCommit MakeCommit(const std::string& event_id, const std::string& ticket_id,
                       int64_t occurred_us, const std::string& tenant = kTenant) {
  EventCommit c;
  c.tenant = tenant;
  c.event.set_id(event_id);
  c.event.set_type("ticket.updated");
  *c.event.mutable_occurred_at() = Ts(occurred_us);
  c.event.mutable_ticket()->set_id(ticket_id);
  c.event.mutable_ticket()->set_subject("subject of " + event_id);
  c.ticket = c.event.ticket();
  c.response.set_event_id(event_id);
  c.response.add_fired_rules()->set_rule_id("rule-of-" + event_id);
  return c;
}

ExecutionRow MakeExecution(const std::string& id, const EventCommit& commit,
                           const std::string& rule_id, const std::string& action_type, int status,
                           int64_t next_attempt_us = 0) {
  ExecutionRow x;
  x.id = id;
  x.event_id = commit.event.id();
  x.ticket_id = commit.event.ticket().id();
  x.rule_id = rule_id;
  x.action_type = action_type;
  x.mode = (status == kQueued || status == kRunning || status == kDead) ? v1::ACTION_MODE_DEFERRED
                                                                        : v1::ACTION_MODE_INLINE;
  x.status = status;
  x.operation_id = "op-" + id;
  x.params_json = R"({"to": "ops"})";
  x.ticket_json = R"({"id": ")" + x.ticket_id + R"("})";
  x.event_json = R"({"id": ")" + x.event_id + R"("})";
  x.next_attempt_us = next_attempt_us;
  return x;
}

TimerRow MakeTimer(const std::string& plugin, const std::string& key, int64_t due_us,
                   const std::string& ticket_id = "T1") {
  TimerRow t;
  t.plugin = plugin;
  t.key = key;
  t.ticket_id = ticket_id;
  t.due_us = due_us;
  t.event_type = "sla.breached";
  t.payload_json = R"({"metric": "first_reply"})";
  t.causation_ids = {"E-cause-1", "E-cause-2"};
  return t;
}

std::vector<std::string> Ids(const std::vector<ExecutionRow>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

std::vector<std::pair<std::string, std::string>> TimerKeys(const std::vector<TimerRow>& rows) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& t : rows) keys.emplace_back(t.tenant + "/" + t.plugin, t.key);
  return keys;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tf-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/triggerfish.db";
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes the store (when open) and opens the file again.
  void Reopen() {
    store_.reset();
    auto opened = SqliteStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }

  std::vector<CommitOutcome> Commit(std::vector<EventCommit>& commits) {
    std::vector<EventCommit*> batch;
    for (auto& c : commits) batch.push_back(&c);
    return store_->CommitEvents(batch);
  }

  // Commits one event, expecting success.
  CommitOutcome CommitOne(EventCommit commit) {
    std::vector<EventCommit> batch{std::move(commit)};
    std::vector<CommitOutcome> outcomes = Commit(batch);
    EXPECT_EQ(outcomes.size(), 1u);
    if (outcomes.empty()) return {};
    EXPECT_TRUE(outcomes[0].status.ok()) << outcomes[0].status;
    return outcomes[0];
  }

  std::vector<ExecutionRow> List(const ExecutionFilter& filter, int limit = 100) {
    return Value(store_->ListExecutions(kTenant, filter, limit));
  }

  std::optional<std::string> State(const std::string& tenant, const std::string& plugin,
                                   const std::string& key) {
    return Value(store_->GetPluginState(tenant, plugin, key));
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

// --- Opening -----------------------------------------------------------------

TEST_F(SqliteStoreTest, OpenCreatesTheSchema) {
  Connection db(path_);
  EXPECT_THAT(db.Column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
              ::testing::IsSupersetOf({"attempts", "events", "executions", "plugin_state",
                                       "requests", "rules", "tickets", "timers"}));
  const std::vector<std::string> version = db.Column("PRAGMA user_version");
  ASSERT_EQ(version.size(), 1u);
  EXPECT_GT(std::stoi(version[0]), 0);

  // A fresh store is empty, and opening it again (nothing to migrate) works.
  EXPECT_THAT(Value(store_->LoadRules()), IsEmpty());
  EXPECT_EQ(Value(store_->NextTimerDue()), std::nullopt);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(db.Column("PRAGMA user_version"), version);
}

TEST_F(SqliteStoreTest, OpenFailsClearlyOnAnUnopenableFile) {
  auto opened = SqliteStore::Open(dir_ + "/missing-dir/triggerfish.db");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(opened.status().message(), HasSubstr("missing-dir/triggerfish.db"));
}

TEST_F(SqliteStoreTest, ReopeningKeepsEverything) {
  RequestRecord record{"req-1", "CreateRule", "fp-1", "response-1"};
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 1, 0, "first"), &record).ok());

  EventCommit c = MakeCommit("E1", "T1", 1'000'000);
  ExecutionRow inline_x = MakeExecution("X1", c, "r1", "ticket.tag", kSucceeded);
  inline_x.output_json = R"({"ok": true})";
  inline_x.attempts = 1;
  inline_x.attempt_rows.push_back({1, kSucceeded, "", 10, 20});
  c.executions.push_back(inline_x);
  c.executions.push_back(MakeExecution("X2", c, "r1", "webhook.post", kQueued, 5'000));
  c.state_writes.push_back({{"sla", "T1"}, std::string("state-1")});
  c.timers.push_back(MakeTimer("sla", "T1/first_reply", 9'000));
  c.fired_rule_ids = {"r1"};
  const CommitOutcome committed = CommitOne(c);

  ASSERT_NO_FATAL_FAILURE(Reopen());

  auto rules = Value(store_->LoadRules());
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].tenant, kTenant);
  EXPECT_TRUE(MessageDifferencer::Equals(rules[0].rule, MakeRule("r1", 1, 0, "first")));
  auto found_record = Value(store_->FindRequest(kTenant, "req-1"));
  ASSERT_TRUE(found_record.has_value());
  EXPECT_EQ(found_record->response, "response-1");

  auto event = Value(store_->FindEvent(kTenant, "E1"));
  ASSERT_TRUE(event.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(*event, committed.response));

  auto ticket = Value(store_->GetTicket(kTenant, "T1"));
  ASSERT_TRUE(ticket.has_value());
  EXPECT_EQ(ticket->ticket.subject(), "subject of E1");
  EXPECT_EQ(ticket->last_event_id, "E1");
  EXPECT_EQ(ticket->last_event_us, 1'000'000);
  EXPECT_THAT(ticket->fired_rule_ids, ElementsAre("r1"));

  auto x1 = Value(store_->GetExecution(kTenant, "X1"));
  ASSERT_TRUE(x1.has_value());
  EXPECT_EQ(x1->status, kSucceeded);
  EXPECT_EQ(x1->output_json, R"({"ok": true})");
  ASSERT_EQ(x1->attempt_rows.size(), 1u);
  EXPECT_EQ(x1->attempt_rows[0].end_us, 20);
  auto x2 = Value(store_->GetExecution(kTenant, "X2"));
  ASSERT_TRUE(x2.has_value());
  EXPECT_EQ(x2->status, kQueued);
  EXPECT_EQ(x2->params_json, R"({"to": "ops"})");

  EXPECT_EQ(State(kTenant, "sla", "T1"), "state-1");

  EXPECT_EQ(Value(store_->NextTimerDue()), 9'000);
  auto timers = Value(store_->ClaimDueTimers(9'000, 1'000, 10));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].tenant, kTenant);
  EXPECT_EQ(timers[0].key, "T1/first_reply");
  EXPECT_EQ(timers[0].event_type, "sla.breached");
  EXPECT_EQ(timers[0].payload_json, R"({"metric": "first_reply"})");
  EXPECT_THAT(timers[0].causation_ids, ElementsAre("E-cause-1", "E-cause-2"));
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(5'000, 1'000, 10))), ElementsAre("X2"));
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerServer) {
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 1), nullptr).ok());
  store_.reset();
  {
    Connection db(path_);
    db.Exec("PRAGMA user_version = 99");
  }
  auto opened = SqliteStore::Open(path_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("99"));
  EXPECT_THAT(opened.status().message(), HasSubstr("newer"));
  // The file is left as it was.
  Connection db(path_);
  EXPECT_THAT(db.Column("PRAGMA user_version"), ElementsAre("99"));
  EXPECT_THAT(db.Column("SELECT id FROM rules"), ElementsAre("r1"));
}

TEST_F(SqliteStoreTest, DurabilityPragmasAreInEffect) {
  // journal_mode is a property of the file: any connection sees it.
  Connection db(path_);
  EXPECT_THAT(db.Column("PRAGMA journal_mode"), ElementsAre("wal"));
  EXPECT_THAT(db.Column("PRAGMA synchronous"), ElementsAre("2"));  // FULL
  // synchronous and busy_timeout belong to a connection: read them on the
  // store's own.
  sqlite3* store_db = g_store_db;
  ASSERT_NE(store_db, nullptr);
  EXPECT_THAT(Connection::ColumnOf(store_db, "PRAGMA synchronous"), ElementsAre("2"));
  EXPECT_THAT(Connection::ColumnOf(store_db, "PRAGMA busy_timeout"), ElementsAre("5000"));
  EXPECT_THAT(Connection::ColumnOf(store_db, "PRAGMA journal_mode"), ElementsAre("wal"));
}

// --- Rules -------------------------------------------------------------------

TEST_F(SqliteStoreTest, InsertRuleRefusesAnExistingIdOfTheSameTenant) {
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 1, 2, "original"), nullptr).ok());
  absl::Status again = store_->InsertRule(kTenant, MakeRule("r1", 1, 0, "copy"), nullptr);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  // Another tenant has its own ids.
  EXPECT_TRUE(store_->InsertRule(kOtherTenant, MakeRule("r1", 1, 0, "theirs"), nullptr).ok());

  auto rules = Value(store_->LoadRules());
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].tenant, kTenant);
  EXPECT_EQ(rules[0].rule.name(), "original");
  EXPECT_EQ(rules[1].tenant, kOtherTenant);
  EXPECT_EQ(rules[1].rule.name(), "theirs");
}

TEST_F(SqliteStoreTest, LoadRulesReturnsEveryTenantsRulesInPositionOrder) {
  ASSERT_TRUE(store_->InsertRule(kOtherTenant, MakeRule("z", 1, 0), nullptr).ok());
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("b", 1, 2), nullptr).ok());
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("c", 1, 1), nullptr).ok());
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("a", 1, 2), nullptr).ok());
  std::vector<std::pair<std::string, std::string>> loaded;
  for (const auto& r : Value(store_->LoadRules())) loaded.emplace_back(r.tenant, r.rule.id());
  EXPECT_THAT(loaded, ElementsAre(Pair(kTenant, "c"), Pair(kTenant, "a"), Pair(kTenant, "b"),
                                  Pair(kOtherTenant, "z")));
}

TEST_F(SqliteStoreTest, UpdateRuleChecksTheExpectedRevision) {
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 1, 0, "v1"), nullptr).ok());
  EXPECT_TRUE(store_->UpdateRule(kTenant, MakeRule("r1", 2, 5, "v2"), 1, nullptr).ok());

  absl::Status stale = store_->UpdateRule(kTenant, MakeRule("r1", 2, 0, "stale"), 1, nullptr);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;

  absl::Status unknown = store_->UpdateRule(kTenant, MakeRule("nope", 2), 1, nullptr);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound) << unknown;
  absl::Status other_tenant = store_->UpdateRule(kOtherTenant, MakeRule("r1", 3), 2, nullptr);
  EXPECT_EQ(other_tenant.code(), absl::StatusCode::kNotFound) << other_tenant;

  auto rules = Value(store_->LoadRules());
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(rules[0].rule, MakeRule("r1", 2, 5, "v2")));
}

TEST_F(SqliteStoreTest, DeleteRuleChecksTheExpectedRevision) {
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 3), nullptr).ok());

  absl::Status stale = store_->DeleteRule(kTenant, "r1", 2, nullptr);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  EXPECT_EQ(Value(store_->LoadRules()).size(), 1u);

  absl::Status unknown = store_->DeleteRule(kTenant, "nope", 1, nullptr);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound) << unknown;
  absl::Status other_tenant = store_->DeleteRule(kOtherTenant, "r1", 3, nullptr);
  EXPECT_EQ(other_tenant.code(), absl::StatusCode::kNotFound) << other_tenant;

  EXPECT_TRUE(store_->DeleteRule(kTenant, "r1", 3, nullptr).ok());
  EXPECT_THAT(Value(store_->LoadRules()), IsEmpty());
  absl::Status gone = store_->DeleteRule(kTenant, "r1", 3, nullptr);
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound) << gone;
}

TEST_F(SqliteStoreTest, RequestRecordsAreWrittenOnlyWithTheirMutation) {
  const RequestRecord create{"req-create", "CreateRule", "fp-create", "resp-create"};
  ASSERT_TRUE(store_->InsertRule(kTenant, MakeRule("r1", 1), &create).ok());
  auto found = Value(store_->FindRequest(kTenant, "req-create"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->request_id, "req-create");
  EXPECT_EQ(found->method, "CreateRule");
  EXPECT_EQ(found->fingerprint, "fp-create");
  EXPECT_EQ(found->response, "resp-create");
  // Records belong to their tenant.
  EXPECT_EQ(Value(store_->FindRequest(kOtherTenant, "req-create")), std::nullopt);

  // Failed mutations leave no record.
  const RequestRecord dup{"req-dup", "CreateRule", "fp", "resp"};
  EXPECT_FALSE(store_->InsertRule(kTenant, MakeRule("r1", 1), &dup).ok());
  const RequestRecord stale{"req-stale", "UpdateRule", "fp", "resp"};
  EXPECT_FALSE(store_->UpdateRule(kTenant, MakeRule("r1", 5), 4, &stale).ok());
  const RequestRecord missing{"req-missing", "UpdateRule", "fp", "resp"};
  EXPECT_FALSE(store_->UpdateRule(kTenant, MakeRule("nope", 2), 1, &missing).ok());
  const RequestRecord stale_delete{"req-stale-delete", "DeleteRule", "fp", ""};
  EXPECT_FALSE(store_->DeleteRule(kTenant, "r1", 4, &stale_delete).ok());
  for (const char* id : {"req-dup", "req-stale", "req-missing", "req-stale-delete"}) {
    EXPECT_EQ(Value(store_->FindRequest(kTenant, id)), std::nullopt) << id;
  }

  // Successful ones write theirs.
  const RequestRecord update{"req-update", "UpdateRule", "fp-update", "resp-update"};
  ASSERT_TRUE(store_->UpdateRule(kTenant, MakeRule("r1", 2), 1, &update).ok());
  EXPECT_NE(Value(store_->FindRequest(kTenant, "req-update")), std::nullopt);
  const RequestRecord remove{"req-delete", "DeleteRule", "fp-delete", ""};
  ASSERT_TRUE(store_->DeleteRule(kTenant, "r1", 2, &remove).ok());
  auto removed = Value(store_->FindRequest(kTenant, "req-delete"));
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->method, "DeleteRule");
  EXPECT_EQ(removed->response, "");

  // A record that cannot be written (its request id is taken) undoes the
  // mutation.
  EXPECT_FALSE(store_->InsertRule(kTenant, MakeRule("r2", 1), &create).ok());
  EXPECT_THAT(Value(store_->LoadRules()), IsEmpty());
}

// --- CommitEvents ------------------------------------------------------------

TEST_F(SqliteStoreTest, ABatchCommitsAllItsEvents) {
  std::vector<EventCommit> batch = {MakeCommit("E1", "T1", 1'000), MakeCommit("E2", "T2", 2'000),
                                    MakeCommit("E3", "T3", 3'000)};
  const std::vector<CommitOutcome> outcomes = Commit(batch);
  ASSERT_EQ(outcomes.size(), 3u);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string id = "E" + std::to_string(i + 1);
    EXPECT_TRUE(outcomes[i].status.ok()) << outcomes[i].status;
    EXPECT_FALSE(outcomes[i].duplicate);
    EXPECT_EQ(outcomes[i].response.event_id(), id);
    EXPECT_FALSE(outcomes[i].response.duplicate());
    EXPECT_TRUE(outcomes[i].response.snapshot_updated());
    EXPECT_GT(outcomes[i].response.commit_time().seconds(), 1'600'000'000);
    ASSERT_EQ(outcomes[i].response.fired_rules_size(), 1);
    EXPECT_EQ(outcomes[i].response.fired_rules(0).rule_id(), "rule-of-" + id);

    auto stored = Value(store_->FindEvent(kTenant, id));
    ASSERT_TRUE(stored.has_value());
    EXPECT_TRUE(MessageDifferencer::Equals(*stored, outcomes[i].response)) << stored->DebugString();
    auto ticket = Value(store_->GetTicket(kTenant, "T" + std::to_string(i + 1)));
    ASSERT_TRUE(ticket.has_value());
    EXPECT_EQ(ticket->last_event_id, id);
    EXPECT_EQ(ticket->ticket.subject(), "subject of " + id);
  }
  // One transaction: one commit time.
  EXPECT_TRUE(MessageDifferencer::Equals(outcomes[0].response.commit_time(),
                                         outcomes[2].response.commit_time()));
  EXPECT_EQ(Value(store_->FindEvent(kOtherTenant, "E1")), std::nullopt);
  EXPECT_EQ(Value(store_->FindEvent(kTenant, "E4")), std::nullopt);
}

TEST_F(SqliteStoreTest, ADuplicateEventReturnsTheFirstResponseAndWritesNothing) {
  EventCommit first = MakeCommit("E1", "T1", 1'000);
  first.executions.push_back(MakeExecution("X1", first, "r1", "webhook.post", kQueued));
  first.state_writes.push_back({{"sla", "k"}, std::string("first")});
  const CommitOutcome committed = CommitOne(first);
  ASSERT_FALSE(committed.duplicate);

  // The same id again, with everything different (even a later time).
  EventCommit again = MakeCommit("E1", "T1", 5'000);
  again.ticket.set_subject("second");
  again.response.mutable_fired_rules(0)->set_rule_id("other");
  again.executions.push_back(MakeExecution("X2", again, "r2", "webhook.post", kQueued));
  again.state_writes.push_back({{"sla", "k"}, std::string("second")});
  again.state_writes.push_back({{"sla", "k2"}, std::string("second")});
  again.timers.push_back(MakeTimer("sla", "t", 100));
  const CommitOutcome dup = CommitOne(again);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_TRUE(dup.response.duplicate());
  v1::PublishEventResponse expected = committed.response;
  expected.set_duplicate(true);
  EXPECT_TRUE(MessageDifferencer::Equals(dup.response, expected)) << dup.response.DebugString();

  EXPECT_THAT(Ids(List({})), ElementsAre("X1"));
  auto ticket = Value(store_->GetTicket(kTenant, "T1"));
  ASSERT_TRUE(ticket.has_value());
  EXPECT_EQ(ticket->ticket.subject(), "subject of E1");
  EXPECT_EQ(ticket->last_event_us, 1'000);
  EXPECT_EQ(State(kTenant, "sla", "k"), "first");
  EXPECT_EQ(State(kTenant, "sla", "k2"), std::nullopt);
  EXPECT_EQ(Value(store_->NextTimerDue()), std::nullopt);
  // The stored response is not changed by the duplicate.
  auto stored = Value(store_->FindEvent(kTenant, "E1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(*stored, committed.response));
}

TEST_F(SqliteStoreTest, ADuplicateWithinOneBatchIsCommittedOnce) {
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.executions.push_back(MakeExecution("X1", a, "r1", "webhook.post", kQueued));
  EventCommit b = MakeCommit("E1", "T1", 1'000);
  b.response.mutable_fired_rules(0)->set_rule_id("other");
  b.executions.push_back(MakeExecution("X2", b, "r1", "webhook.post", kQueued));
  std::vector<EventCommit> batch = {a, b};
  const std::vector<CommitOutcome> outcomes = Commit(batch);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].status.ok());
  EXPECT_FALSE(outcomes[0].duplicate);
  EXPECT_TRUE(outcomes[1].status.ok());
  EXPECT_TRUE(outcomes[1].duplicate);
  EXPECT_EQ(outcomes[1].response.fired_rules(0).rule_id(), "rule-of-E1");
  EXPECT_THAT(Ids(List({})), ElementsAre("X1"));
}

TEST_F(SqliteStoreTest, AFailedBatchWritesNothingAndFailsEveryEvent) {
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.executions.push_back(MakeExecution("X1", a, "r1", "webhook.post", kQueued));
  a.state_writes.push_back({{"sla", "k"}, std::string("v")});
  EventCommit b = MakeCommit("E2", "T2", 1'000);
  // Same execution id: the batch cannot commit.
  b.executions.push_back(MakeExecution("X1", b, "r1", "webhook.post", kQueued));
  std::vector<EventCommit> batch = {a, b};
  const std::vector<CommitOutcome> outcomes = Commit(batch);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes) {
    EXPECT_FALSE(o.status.ok());
    EXPECT_FALSE(o.duplicate);
  }
  EXPECT_EQ(Value(store_->FindEvent(kTenant, "E1")), std::nullopt);
  EXPECT_EQ(Value(store_->FindEvent(kTenant, "E2")), std::nullopt);
  EXPECT_EQ(Value(store_->GetTicket(kTenant, "T1")), std::nullopt);
  EXPECT_EQ(State(kTenant, "sla", "k"), std::nullopt);
  EXPECT_THAT(List({}), IsEmpty());
  // And the store still works.
  CommitOne(MakeCommit("E1", "T1", 1'000));
  EXPECT_NE(Value(store_->FindEvent(kTenant, "E1")), std::nullopt);
}

TEST_F(SqliteStoreTest, AnOlderEventDoesNotRollTheSnapshotBack) {
  EventCommit newer = MakeCommit("E2", "T1", 2'000'000);
  newer.fired_rule_ids = {"r-new"};
  ASSERT_TRUE(CommitOne(newer).response.snapshot_updated());

  EventCommit older = MakeCommit("E1", "T1", 1'000'000);
  older.fired_rule_ids = {"r-old"};
  older.executions.push_back(MakeExecution("X1", older, "r-old", "webhook.post", kQueued));
  const CommitOutcome outcome = CommitOne(older);
  EXPECT_FALSE(outcome.duplicate);
  EXPECT_FALSE(outcome.response.snapshot_updated());
  auto stored = Value(store_->FindEvent(kTenant, "E1"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->snapshot_updated());

  auto ticket = Value(store_->GetTicket(kTenant, "T1"));
  ASSERT_TRUE(ticket.has_value());
  EXPECT_EQ(ticket->ticket.subject(), "subject of E2");
  EXPECT_EQ(ticket->last_event_id, "E2");
  EXPECT_EQ(ticket->last_event_us, 2'000'000);
  EXPECT_THAT(ticket->fired_rule_ids, ElementsAre("r-new"));
  // The older event is committed all the same.
  EXPECT_THAT(Ids(List({})), ElementsAre("X1"));

  // An event at the same instant does replace it.
  const CommitOutcome same = CommitOne(MakeCommit("E3", "T1", 2'000'000));
  EXPECT_TRUE(same.response.snapshot_updated());
  EXPECT_EQ(Value(store_->GetTicket(kTenant, "T1"))->last_event_id, "E3");
}

TEST_F(SqliteStoreTest, ExecutionsAndTheirAttemptsAreReadable) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  ExecutionRow x = MakeExecution("X1", c, "r1", "ticket.tag", kFailed);
  x.action_index = 2;
  x.error = "tag too long";
  x.patch = std::string("\x0a\x03\x00yz", 5);  // binary, with a NUL
  x.attempts = 1;
  x.attempt_rows.push_back({1, kFailed, "tag too long", 100, 150});
  c.executions.push_back(x);
  const CommitOutcome outcome = CommitOne(c);

  auto row = Value(store_->GetExecution(kTenant, "X1"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->tenant, kTenant);
  EXPECT_EQ(row->event_id, "E1");
  EXPECT_EQ(row->ticket_id, "T1");
  EXPECT_EQ(row->rule_id, "r1");
  EXPECT_EQ(row->action_index, 2);
  EXPECT_EQ(row->action_type, "ticket.tag");
  EXPECT_EQ(row->mode, v1::ACTION_MODE_INLINE);
  EXPECT_EQ(row->status, kFailed);
  EXPECT_EQ(row->operation_id, "op-X1");
  EXPECT_EQ(row->error, "tag too long");
  EXPECT_EQ(row->patch, x.patch);
  EXPECT_EQ(row->ticket_json, x.ticket_json);
  EXPECT_EQ(row->event_json, x.event_json);
  EXPECT_EQ(row->attempts, 1);
  EXPECT_GT(row->created_us, 0);
  EXPECT_EQ(row->created_us, outcome.response.commit_time().seconds() * 1'000'000 +
                                 outcome.response.commit_time().nanos() / 1000);
  ASSERT_EQ(row->attempt_rows.size(), 1u);
  EXPECT_EQ(row->attempt_rows[0].number, 1);
  EXPECT_EQ(row->attempt_rows[0].status, kFailed);
  EXPECT_EQ(row->attempt_rows[0].error, "tag too long");
  EXPECT_EQ(row->attempt_rows[0].start_us, 100);
  EXPECT_EQ(row->attempt_rows[0].end_us, 150);

  EXPECT_EQ(Value(store_->GetExecution(kOtherTenant, "X1")), std::nullopt);
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "X9")), std::nullopt);
}

TEST_F(SqliteStoreTest, OpenTicketCountsFollowAssigneeAndStatusChanges) {
  struct Step {
    const char* why;
    const char* event_id;
    const char* ticket_id;
    int64_t occurred_us;
    const char* assignee;
    v1::TicketStatus status;
    int64_t a1, a2, a3;  // open tickets of each agent afterwards
  };
  const Step steps[] = {
      {"assigned", "E1", "T1", 1'000, "a1", v1::TICKET_STATUS_OPEN, 1, 0, 0},
      {"assigned", "E2", "T2", 1'000, "a1", v1::TICKET_STATUS_NEW, 2, 0, 0},
      {"neither column changes", "E3", "T1", 2'000, "a1", v1::TICKET_STATUS_OPEN, 2, 0, 0},
      {"reassigned", "E4", "T1", 3'000, "a2", v1::TICKET_STATUS_OPEN, 1, 1, 0},
      {"solved", "E5", "T2", 4'000, "a1", v1::TICKET_STATUS_SOLVED, 0, 1, 0},
      {"reopened", "E6", "T2", 5'000, "a1", v1::TICKET_STATUS_OPEN, 1, 1, 0},
      {"older event: snapshot kept", "E7", "T2", 4'500, "a3", v1::TICKET_STATUS_OPEN, 1, 1, 0},
  };
  for (const Step& step : steps) {
    EventCommit c = MakeCommit(step.event_id, step.ticket_id, step.occurred_us);
    c.ticket.set_assignee_id(step.assignee);
    c.ticket.set_status(step.status);
    CommitOne(c);
    EXPECT_EQ(Value(store_->OpenTicketCount(kTenant, "a1")), step.a1) << step.why;
    EXPECT_EQ(Value(store_->OpenTicketCount(kTenant, "a2")), step.a2) << step.why;
    EXPECT_EQ(Value(store_->OpenTicketCount(kTenant, "a3")), step.a3) << step.why;
  }
}

TEST_F(SqliteStoreTest, AnInlineExecutionWithoutAttemptRowsHasItsOneAttempt) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  ExecutionRow x = MakeExecution("X1", c, "r1", "ticket.tag", kFailed);
  x.error = "tag too long";
  x.attempts = 1;
  c.executions.push_back(x);
  c.executions.push_back(MakeExecution("X2", c, "r2", "webhook.post", kQueued));
  CommitOne(c);

  auto row = Value(store_->GetExecution(kTenant, "X1"));
  ASSERT_TRUE(row.has_value());
  ASSERT_EQ(row->attempt_rows.size(), 1u);
  EXPECT_EQ(row->attempt_rows[0].number, 1);
  EXPECT_EQ(row->attempt_rows[0].status, kFailed);
  EXPECT_EQ(row->attempt_rows[0].error, "tag too long");
  EXPECT_EQ(row->attempt_rows[0].start_us, row->created_us);
  EXPECT_EQ(row->attempt_rows[0].end_us, row->created_us);
  // A deferred execution not yet attempted has none.
  auto queued = Value(store_->GetExecution(kTenant, "X2"));
  ASSERT_TRUE(queued.has_value());
  EXPECT_TRUE(queued->attempt_rows.empty());
}

TEST_F(SqliteStoreTest, ListExecutionsFilters) {
  // Three commits at three distinct commit times.
  std::vector<int64_t> created;
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.executions.push_back(MakeExecution("a-tag", a, "r1", "ticket.tag", kSucceeded));
  a.executions.push_back(MakeExecution("a-hook", a, "r2", "webhook.post", kQueued));
  CommitOne(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EventCommit b = MakeCommit("E2", "T2", 2'000);
  b.executions.push_back(MakeExecution("b-tag", b, "r1", "ticket.tag", kFailed));
  b.executions.push_back(MakeExecution("b-hook", b, "r2", "webhook.post", kQueued));
  CommitOne(b);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EventCommit c = MakeCommit("E3", "T1", 3'000);
  c.executions.push_back(MakeExecution("c-hook", c, "r2", "webhook.post", kDead));
  CommitOne(c);
  EventCommit other = MakeCommit("E1", "T1", 1'000, kOtherTenant);
  other.executions.push_back(MakeExecution("o-tag", other, "r1", "ticket.tag", kSucceeded));
  CommitOne(other);
  for (const char* id : {"a-tag", "b-tag", "c-hook"}) {
    created.push_back(Value(store_->GetExecution(kTenant, id))->created_us);
  }
  ASSERT_LT(created[0], created[1]);
  ASSERT_LT(created[1], created[2]);

  // Newest first; ties (same commit) by id, descending.
  EXPECT_THAT(Ids(List({})), ElementsAre("c-hook", "b-tag", "b-hook", "a-tag", "a-hook"));
  EXPECT_THAT(Ids(List({}, 2)), ElementsAre("c-hook", "b-tag"));

  ExecutionFilter f;
  f.ticket_id = "T1";
  EXPECT_THAT(Ids(List(f)), ElementsAre("c-hook", "a-tag", "a-hook"));
  f = {};
  f.rule_id = "r1";
  EXPECT_THAT(Ids(List(f)), ElementsAre("b-tag", "a-tag"));
  f = {};
  f.action_type = "webhook.post";
  EXPECT_THAT(Ids(List(f)), ElementsAre("c-hook", "b-hook", "a-hook"));
  f = {};
  f.event_id = "E2";
  EXPECT_THAT(Ids(List(f)), ElementsAre("b-tag", "b-hook"));
  f = {};
  f.status = kQueued;
  EXPECT_THAT(Ids(List(f)), ElementsAre("b-hook", "a-hook"));
  f = {};
  f.start_us = created[1];  // inclusive
  EXPECT_THAT(Ids(List(f)), ElementsAre("c-hook", "b-tag", "b-hook"));
  f = {};
  f.end_us = created[1];  // exclusive
  EXPECT_THAT(Ids(List(f)), ElementsAre("a-tag", "a-hook"));
  f = {};
  f.start_us = created[1];
  f.end_us = created[2];
  EXPECT_THAT(Ids(List(f)), ElementsAre("b-tag", "b-hook"));
  f = {};
  f.ticket_id = "T1";
  f.action_type = "webhook.post";
  f.status = kQueued;
  EXPECT_THAT(Ids(List(f)), ElementsAre("a-hook"));
  f = {};
  f.rule_id = "nope";
  EXPECT_THAT(List(f), IsEmpty());

  // Each tenant sees its own.
  EXPECT_THAT(Ids(Value(store_->ListExecutions(kOtherTenant, {}, 100))), ElementsAre("o-tag"));
}

TEST_F(SqliteStoreTest, TheCursorPagesWithoutGapsOrRepeats) {
  // 4 commits of 5 executions: many share a created_us, so the id breaks
  // ties.
  for (int commit = 0; commit < 4; ++commit) {
    EventCommit c = MakeCommit("E" + std::to_string(commit), "T1", 1'000);
    for (int i = 0; i < 5; ++i) {
      // Ids not in commit order, so that ordering by id differs from
      // insertion order.
      const std::string id = std::string(1, static_cast<char>('a' + (i * 3 + commit) % 7)) +
                             std::to_string(commit) + std::to_string(i);
      c.executions.push_back(MakeExecution(id, c, "r1", "webhook.post", kQueued));
    }
    CommitOne(c);
  }
  const std::vector<ExecutionRow> all = List({});
  ASSERT_EQ(all.size(), 20u);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(std::make_pair(all[i - 1].created_us, all[i - 1].id) >
                std::make_pair(all[i].created_us, all[i].id))
        << all[i - 1].id << " before " << all[i].id;
  }

  for (int page_size : {1, 3, 5, 7, 20}) {
    SCOPED_TRACE(page_size);
    std::vector<std::string> paged;
    ExecutionFilter f;
    for (int pages = 0; pages < 30; ++pages) {
      const std::vector<ExecutionRow> page = List(f, page_size);
      for (const auto& r : page) paged.push_back(r.id);
      if (static_cast<int>(page.size()) < page_size) break;
      f.before_created_us = page.back().created_us;
      f.before_id = page.back().id;
    }
    EXPECT_EQ(paged, Ids(all));
  }

  // The cursor combines with a filter.
  ExecutionFilter f;
  f.event_id = "E2";
  const std::vector<ExecutionRow> first = List(f, 2);
  ASSERT_EQ(first.size(), 2u);
  f.before_created_us = first.back().created_us;
  f.before_id = first.back().id;
  const std::vector<ExecutionRow> rest = List(f, 10);
  EXPECT_EQ(rest.size(), 3u);
  for (const auto& r : rest) EXPECT_EQ(r.event_id, "E2");
}

TEST_F(SqliteStoreTest, PluginStateIsWrittenAndDeletedPerTenantAndPlugin) {
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.state_writes.push_back({{"sla", "k1"}, std::string("v1")});
  a.state_writes.push_back({{"sla", "k2"}, std::string("v2")});
  a.state_writes.push_back({{"other", "k1"}, std::string("other-v1")});
  CommitOne(a);
  EventCommit theirs = MakeCommit("E1", "T1", 1'000, kOtherTenant);
  theirs.state_writes.push_back({{"sla", "k1"}, std::string("their-v1")});
  CommitOne(theirs);
  EXPECT_EQ(State(kTenant, "sla", "k1"), "v1");
  EXPECT_EQ(State(kTenant, "sla", "k2"), "v2");
  EXPECT_EQ(State(kTenant, "other", "k1"), "other-v1");
  EXPECT_EQ(State(kOtherTenant, "sla", "k1"), "their-v1");
  EXPECT_EQ(State(kTenant, "sla", "k3"), std::nullopt);

  EventCommit b = MakeCommit("E2", "T1", 2'000);
  b.state_writes.push_back({{"sla", "k1"}, std::nullopt});
  b.state_writes.push_back({{"sla", "k2"}, std::string("v2b")});
  b.state_writes.push_back({{"sla", "k3"}, std::string("")});
  b.state_writes.push_back({{"sla", "never"}, std::nullopt});
  CommitOne(b);
  EXPECT_EQ(State(kTenant, "sla", "k1"), std::nullopt);
  EXPECT_EQ(State(kTenant, "sla", "k2"), "v2b");
  EXPECT_EQ(State(kTenant, "sla", "k3"), "");  // empty, but present
  EXPECT_EQ(State(kTenant, "other", "k1"), "other-v1");
  EXPECT_EQ(State(kOtherTenant, "sla", "k1"), "their-v1");
}

TEST_F(SqliteStoreTest, TimersAreUpsertedAndCancelledByKey) {
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.timers.push_back(MakeTimer("sla", "k", 5'000));
  CommitOne(a);
  EXPECT_EQ(Value(store_->NextTimerDue()), 5'000);

  // The same key replaces it (a later due time, another event type).
  EventCommit b = MakeCommit("E2", "T1", 2'000);
  TimerRow later = MakeTimer("sla", "k", 8'000);
  later.event_type = "sla.warning";
  later.causation_ids = {"E2"};
  b.timers.push_back(later);
  CommitOne(b);
  EXPECT_EQ(Value(store_->NextTimerDue()), 8'000);
  EXPECT_THAT(Value(store_->ClaimDueTimers(7'999, 1'000, 10)), IsEmpty());
  auto claimed = Value(store_->ClaimDueTimers(8'000, 1'000, 10));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].event_type, "sla.warning");
  EXPECT_THAT(claimed[0].causation_ids, ElementsAre("E2"));

  // Upserting a leased timer frees it.
  EventCommit c = MakeCommit("E3", "T1", 3'000);
  c.timers.push_back(MakeTimer("sla", "k", 8'500));
  CommitOne(c);
  EXPECT_EQ(Value(store_->ClaimDueTimers(8'500, 1'000, 10)).size(), 1u);

  EventCommit d = MakeCommit("E4", "T1", 4'000);
  TimerRow cancel = MakeTimer("sla", "k", 0);
  cancel.cancel = true;
  d.timers.push_back(cancel);
  CommitOne(d);
  EXPECT_EQ(Value(store_->NextTimerDue()), std::nullopt);
  EXPECT_THAT(Value(store_->ClaimDueTimers(1'000'000, 1'000, 10)), IsEmpty());
}

TEST_F(SqliteStoreTest, AFiredTimerIsDeletedOnlyIfStillDueAtTheSameInstant) {
  EventCommit a = MakeCommit("E1", "T1", 1'000);
  a.timers.push_back(MakeTimer("sla", "k1", 5'000));
  a.timers.push_back(MakeTimer("sla", "k2", 5'000));
  CommitOne(a);
  auto claimed = Value(store_->ClaimDueTimers(5'000, 1'000, 10));
  ASSERT_EQ(claimed.size(), 2u);

  // k2 is rescheduled before its event commits: the new timer survives.
  EventCommit reschedule = MakeCommit("E2", "T1", 2'000);
  reschedule.timers.push_back(MakeTimer("sla", "k2", 9'000));
  CommitOne(reschedule);

  for (const TimerRow& t : claimed) {
    EventCommit fired = MakeCommit("timer-" + t.key, "T1", 5'000);
    fired.internal = true;
    fired.fired_timer = t;
    CommitOne(fired);
  }
  EXPECT_EQ(Value(store_->NextTimerDue()), 9'000);
  auto left = Value(store_->ClaimDueTimers(10'000, 1'000, 10));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "k2");
  EXPECT_EQ(left[0].due_us, 9'000);
}

TEST_F(SqliteStoreTest, AnInternalEventPatchesTheCurrentSnapshot) {
  EventCommit helpdesk = MakeCommit("E1", "T1", 2'000'000);
  helpdesk.ticket.set_priority(v1::TICKET_PRIORITY_HIGH);
  CommitOne(helpdesk);

  // A timer's event computed on an older ticket: only its patch is applied,
  // and the snapshot's helpdesk event time stays.
  EventCommit timer = MakeCommit("timer-1", "T1", 9'000'000);
  timer.internal = true;
  timer.ticket.set_subject("stale ticket the timer read");
  timer.response.mutable_ticket_patch()->add_add_tags("sla_breached");
  const CommitOutcome outcome = CommitOne(timer);
  EXPECT_TRUE(outcome.response.snapshot_updated());

  auto ticket = Value(store_->GetTicket(kTenant, "T1"));
  ASSERT_TRUE(ticket.has_value());
  EXPECT_EQ(ticket->ticket.subject(), "subject of E1");
  EXPECT_EQ(ticket->ticket.priority(), v1::TICKET_PRIORITY_HIGH);
  EXPECT_THAT(ticket->ticket.tags(), ElementsAre("sla_breached"));
  EXPECT_EQ(ticket->last_event_us, 2'000'000);
}

TEST_F(SqliteStoreTest, ListTicketsPagesByIdPerTenant) {
  for (const char* id : {"T3", "T1", "T2"})
    CommitOne(MakeCommit(std::string("E-") + id, id, 1'000));
  CommitOne(MakeCommit("E-T0", "T0", 1'000, kOtherTenant));
  auto ids = [](const std::vector<TicketRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.ticket.id());
    return out;
  };
  EXPECT_THAT(ids(Value(store_->ListTickets(kTenant, "", 10))), ElementsAre("T1", "T2", "T3"));
  // "From the start" as a default-constructed string_view too.
  EXPECT_THAT(ids(Value(store_->ListTickets(kTenant, std::string_view(), 2))),
              ElementsAre("T1", "T2"));
  EXPECT_THAT(ids(Value(store_->ListTickets(kTenant, "T2", 10))), ElementsAre("T3"));
  EXPECT_THAT(ids(Value(store_->ListTickets(kOtherTenant, "", 10))), ElementsAre("T0"));
}

// --- Outbox (the now_us arguments are the clock) -------------------------------

TEST_F(SqliteStoreTest, ClaimDeferredClaimsDueQueuedExecutionsAndLeasesThem) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("q-early", c, "r1", "webhook.post", kQueued, 100));
  c.executions.push_back(MakeExecution("q-late", c, "r1", "webhook.post", kQueued, 500));
  c.executions.push_back(MakeExecution("done", c, "r1", "webhook.post", kSucceeded, 0));
  c.executions.push_back(MakeExecution("dead", c, "r1", "webhook.post", kDead, 0));
  c.executions.push_back(MakeExecution("inline", c, "r1", "ticket.tag", kFailed, 0));
  CommitOne(c);

  EXPECT_THAT(Value(store_->ClaimDeferred(99, 1'000, 10)), IsEmpty());
  auto claimed = Value(store_->ClaimDeferred(200, 1'000, 10));
  ASSERT_THAT(Ids(claimed), ElementsAre("q-early"));
  EXPECT_EQ(claimed[0].status, kRunning);
  EXPECT_EQ(claimed[0].params_json, R"({"to": "ops"})");
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "q-early"))->status, kRunning);

  // Leased until 1'200: not claimed again before; q-late is due at 500.
  EXPECT_THAT(Value(store_->ClaimDeferred(300, 1'000, 10)), IsEmpty());
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(600, 1'000, 10))), ElementsAre("q-late"));
  EXPECT_THAT(Value(store_->ClaimDeferred(1'100, 1'000, 10)), IsEmpty());
  // The lease of q-early expired (a worker died): claimable again.
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(1'201, 1'000, 10))), ElementsAre("q-early"));
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(1'601, 1'000, 10))), ElementsAre("q-late"));
  // Never the finished, dead or inline ones.
  auto much_later = Value(store_->ClaimDeferred(kLongLease, 1'000, 10));
  EXPECT_THAT(Ids(much_later), UnorderedElementsAre("q-early", "q-late"));
}

TEST_F(SqliteStoreTest, ClaimDeferredHonoursTheLimitOldestDueFirst) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("x3", c, "r1", "webhook.post", kQueued, 300));
  c.executions.push_back(MakeExecution("x1", c, "r1", "webhook.post", kQueued, 100));
  c.executions.push_back(MakeExecution("x2", c, "r1", "webhook.post", kQueued, 200));
  CommitOne(c);
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(1'000, 1'000, 2))), ElementsAre("x1", "x2"));
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(1'000, 1'000, 2))), ElementsAre("x3"));
}

TEST_F(SqliteStoreTest, FinishAttemptRecordsTheAttemptAndTheNextState) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("retry", c, "r1", "webhook.post", kQueued, 0));
  c.executions.push_back(MakeExecution("ok", c, "r1", "webhook.post", kQueued, 0));
  c.executions.push_back(MakeExecution("dies", c, "r1", "webhook.post", kQueued, 0));
  CommitOne(c);
  ASSERT_EQ(Value(store_->ClaimDeferred(1'000, 1'000, 10)).size(), 3u);

  ASSERT_TRUE(
      store_->FinishAttempt("retry", {1, kFailed, "HTTP 503", 1'000, 1'010}, kQueued, 5'000, "")
          .ok());
  ASSERT_TRUE(store_
                  ->FinishAttempt("ok", {1, kSucceeded, "", 1'000, 1'020}, kSucceeded, 0,
                                  R"({"status": 200})")
                  .ok());
  ASSERT_TRUE(
      store_->FinishAttempt("dies", {1, kFailed, "HTTP 400", 1'000, 1'030}, kDead, 0, "").ok());

  auto retry = Value(store_->GetExecution(kTenant, "retry"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, kQueued);
  EXPECT_EQ(retry->attempts, 1);
  EXPECT_EQ(retry->error, "HTTP 503");
  EXPECT_EQ(retry->next_attempt_us, 5'000);
  ASSERT_EQ(retry->attempt_rows.size(), 1u);
  EXPECT_EQ(retry->attempt_rows[0].error, "HTTP 503");
  auto ok = Value(store_->GetExecution(kTenant, "ok"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, kSucceeded);
  EXPECT_EQ(ok->output_json, R"({"status": 200})");
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "dies"))->status, kDead);

  // The retry waits for next_attempt_us, even though the first lease
  // (until 2'000) has expired; finished ones never come back.
  EXPECT_THAT(Value(store_->ClaimDeferred(4'999, 1'000, 10)), IsEmpty());
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(5'000, 1'000, 10))), ElementsAre("retry"));
  ASSERT_TRUE(
      store_->FinishAttempt("retry", {2, kSucceeded, "", 5'000, 5'010}, kSucceeded, 0, "{}").ok());
  retry = Value(store_->GetExecution(kTenant, "retry"));
  EXPECT_EQ(retry->status, kSucceeded);
  EXPECT_EQ(retry->attempts, 2);
  ASSERT_EQ(retry->attempt_rows.size(), 2u);
  EXPECT_EQ(retry->attempt_rows[1].number, 2);
  EXPECT_EQ(retry->attempt_rows[1].status, kSucceeded);
  EXPECT_THAT(Value(store_->ClaimDeferred(kLongLease, 1'000, 10)), IsEmpty());
}

TEST_F(SqliteStoreTest, RequeueExecutionQueuesOnlyDeadOnesAndKeepsTheirHistory) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("x", c, "r1", "webhook.post", kQueued, 0));
  c.executions.push_back(MakeExecution("queued", c, "r1", "webhook.post", kQueued, 50'000));
  c.executions.push_back(MakeExecution("inline", c, "r1", "ticket.tag", kFailed, 0));
  CommitOne(c);
  ASSERT_THAT(Ids(Value(store_->ClaimDeferred(1'000, 1'000, 10))), ElementsAre("x"));
  ASSERT_TRUE(
      store_->FinishAttempt("x", {1, kFailed, "e1", 1'000, 1'001}, kQueued, 2'000, "").ok());
  ASSERT_THAT(Ids(Value(store_->ClaimDeferred(2'000, 1'000, 10))), ElementsAre("x"));
  ASSERT_TRUE(store_->FinishAttempt("x", {2, kFailed, "e2", 2'000, 2'001}, kDead, 0, "").ok());

  auto requeued = store_->RequeueExecution(kTenant, "x", 7'000);
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(requeued->status, kQueued);
  EXPECT_EQ(requeued->next_attempt_us, 7'000);
  EXPECT_EQ(requeued->attempts, 2);
  EXPECT_EQ(requeued->attempt_base, 2);
  ASSERT_EQ(requeued->attempt_rows.size(), 2u);
  EXPECT_EQ(requeued->attempt_rows[0].error, "e1");
  EXPECT_EQ(requeued->attempt_rows[1].error, "e2");

  EXPECT_THAT(Value(store_->ClaimDeferred(6'999, 1'000, 10)), IsEmpty());
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(7'000, 1'000, 10))), ElementsAre("x"));
  ASSERT_TRUE(
      store_->FinishAttempt("x", {3, kSucceeded, "", 7'000, 7'001}, kSucceeded, 0, "").ok());
  auto row = Value(store_->GetExecution(kTenant, "x"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->attempts, 3);
  EXPECT_EQ(row->attempt_base, 2);
  EXPECT_EQ(row->attempt_rows.size(), 3u);

  // Only dead ones.
  for (const char* id : {"x", "queued", "inline"}) {
    auto refused = store_->RequeueExecution(kTenant, id, 8'000);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << id;
  }
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "queued"))->next_attempt_us, 50'000);
  EXPECT_EQ(store_->RequeueExecution(kTenant, "missing", 8'000).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RequeueExecution(kOtherTenant, "x", 8'000).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, ReclaimLeasesMakesLeasedWorkClaimableAtOnce) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("x", c, "r1", "webhook.post", kQueued, 0));
  c.timers.push_back(MakeTimer("sla", "k", 500));
  CommitOne(c);
  ASSERT_EQ(Value(store_->ClaimDeferred(1'000, kLongLease, 10)).size(), 1u);
  ASSERT_EQ(Value(store_->ClaimDueTimers(1'000, kLongLease, 10)).size(), 1u);
  EXPECT_THAT(Value(store_->ClaimDeferred(2'000, kLongLease, 10)), IsEmpty());
  EXPECT_THAT(Value(store_->ClaimDueTimers(2'000, kLongLease, 10)), IsEmpty());

  // A restart.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(store_->ReclaimLeases().ok());
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "x"))->status, kQueued);
  EXPECT_THAT(Ids(Value(store_->ClaimDeferred(2'000, 1'000, 10))), ElementsAre("x"));
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(2'000, 1'000, 10))),
              ElementsAre(Pair("acme/sla", "k")));
}

TEST_F(SqliteStoreTest, BegunAttemptsCountAndUnfinishedOnesAreRecordedAsInterrupted) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("x", c, "r1", "webhook.post", kQueued, 0));
  c.executions.push_back(MakeExecution("y", c, "r1", "webhook.post", kQueued, 0));
  CommitOne(c);
  ASSERT_EQ(Value(store_->ClaimDeferred(1'000, 1'000, 10)).size(), 2u);
  ASSERT_TRUE(store_->BeginAttempt("x", 1, 1'000).ok());
  ASSERT_TRUE(store_->BeginAttempt("y", 1, 1'000).ok());
  auto x = Value(store_->GetExecution(kTenant, "x"));
  EXPECT_EQ(x->attempts, 1) << "counted before the plugin is called";
  ASSERT_EQ(x->attempt_rows.size(), 1u);
  EXPECT_EQ(x->attempt_rows[0].status, kRunning);

  // y's lease runs out: the next claim records its attempt as interrupted.
  auto reclaimed = Value(store_->ClaimDeferred(2'500, 1'000, 1));
  ASSERT_EQ(reclaimed.size(), 1u);
  EXPECT_EQ(reclaimed[0].attempts, 1);
  auto first = Value(store_->GetExecution(kTenant, reclaimed[0].id));
  EXPECT_EQ(first->attempt_rows[0].status, kFailed);
  EXPECT_THAT(first->attempt_rows[0].error, HasSubstr("interrupted"));
  EXPECT_EQ(first->attempt_rows[0].end_us, 2'500);

  // A restart: the other one's attempt is interrupted too, and it is queued.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_TRUE(store_->ReclaimLeases().ok());
  for (const char* id : {"x", "y"}) {
    auto row = Value(store_->GetExecution(kTenant, id));
    EXPECT_EQ(row->status, kQueued) << id;
    EXPECT_EQ(row->attempts, 1) << id;
    ASSERT_EQ(row->attempt_rows.size(), 1u) << id;
    EXPECT_EQ(row->attempt_rows[0].status, kFailed) << id;
    EXPECT_THAT(row->attempt_rows[0].error, HasSubstr("interrupted")) << id;
  }
}

// --- Timers (the now_us arguments are the clock) -----------------------------

TEST_F(SqliteStoreTest, ClaimDueTimersLeasesDueTimersAndReleaseFreesThem) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.timers.push_back(MakeTimer("sla", "c", 3'000));
  c.timers.push_back(MakeTimer("sla", "a", 1'000));
  c.timers.push_back(MakeTimer("sla", "b", 2'000));
  CommitOne(c);
  EXPECT_EQ(Value(store_->NextTimerDue()), 1'000);

  EXPECT_THAT(Value(store_->ClaimDueTimers(999, 500, 10)), IsEmpty());
  auto claimed = Value(store_->ClaimDueTimers(2'000, 500, 10));
  EXPECT_THAT(TimerKeys(claimed), ElementsAre(Pair("acme/sla", "a"), Pair("acme/sla", "b")));
  // Leased until 2'500.
  EXPECT_THAT(Value(store_->ClaimDueTimers(2'000, 500, 10)), IsEmpty());
  EXPECT_THAT(Value(store_->ClaimDueTimers(2'499, 500, 10)), IsEmpty());
  // A claimed timer is still a timer until its event commits.
  EXPECT_EQ(Value(store_->NextTimerDue()), 1'000);

  ASSERT_TRUE(store_->ReleaseTimer(claimed[0]).ok());
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(2'100, 500, 10))),
              ElementsAre(Pair("acme/sla", "a")));
  // b's lease expired at 2'500 (a's runs until 2'600).
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(2'550, 500, 10))),
              ElementsAre(Pair("acme/sla", "b")));
  // At 3'000, a and c are claimable: the limit takes the earliest due.
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(3'000, 500, 1))),
              ElementsAre(Pair("acme/sla", "a")));
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(3'000, 500, 10))),
              ElementsAre(Pair("acme/sla", "c")));
}

TEST_F(SqliteStoreTest, DeleteTimerRemovesItOnlyWhileDueAtTheSameInstant) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.timers.push_back(MakeTimer("sla", "a", 1'000));
  c.timers.push_back(MakeTimer("sla", "b", 1'000));
  CommitOne(c);
  auto claimed = Value(store_->ClaimDueTimers(1'000, 500, 10));
  ASSERT_EQ(claimed.size(), 2u);
  // b was re-scheduled meanwhile: deleting the claimed copy leaves it.
  EventCommit later = MakeCommit("E2", "T1", 1'100);
  later.timers.push_back(MakeTimer("sla", "b", 5'000));
  CommitOne(later);
  ASSERT_TRUE(store_->DeleteTimer(claimed[0]).ok());
  ASSERT_TRUE(store_->DeleteTimer(claimed[1]).ok());
  EXPECT_EQ(Value(store_->NextTimerDue()), 5'000);
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(5'000, 500, 10))),
              ElementsAre(Pair("acme/sla", "b")));
}

TEST_F(SqliteStoreTest, TimersAreNamespacedByTenantAndPlugin) {
  EventCommit mine = MakeCommit("E1", "T1", 1'000);
  mine.timers.push_back(MakeTimer("sla", "k", 1'000));
  mine.timers.push_back(MakeTimer("reminder", "k", 2'000));
  CommitOne(mine);
  EventCommit theirs = MakeCommit("E1", "T1", 1'000, kOtherTenant);
  theirs.timers.push_back(MakeTimer("sla", "k", 3'000));
  CommitOne(theirs);

  EXPECT_THAT(
      TimerKeys(Value(store_->ClaimDueTimers(5'000, 500, 10))),
      ElementsAre(Pair("acme/sla", "k"), Pair("acme/reminder", "k"), Pair("globex/sla", "k")));

  // Cancelling one leaves the others.
  EventCommit cancel = MakeCommit("E2", "T1", 2'000);
  TimerRow t = MakeTimer("sla", "k", 0);
  t.cancel = true;
  cancel.timers.push_back(t);
  CommitOne(cancel);
  EXPECT_EQ(Value(store_->NextTimerDue()), 2'000);
  EXPECT_THAT(TimerKeys(Value(store_->ClaimDueTimers(10'000, 500, 10))),
              ElementsAre(Pair("acme/reminder", "k"), Pair("globex/sla", "k")));
}

// --- Concurrency -------------------------------------------------------------

// Reads run on the store's read connections: while a commit waits for the
// file's write lock (held here by another connection, as a long commit
// would hold it), the reads still answer, from the last committed state.
TEST_F(SqliteStoreTest, ReadsDoNotWaitForACommitInProgress) {
  EventCommit first = MakeCommit("E1", "T1", 1'000);
  first.executions.push_back(MakeExecution("X1", first, "r1", "ticket.tag", kSucceeded));
  CommitOne(first);
  Connection other(path_);
  other.Exec("BEGIN IMMEDIATE");  // the write lock, until the COMMIT below

  std::atomic<bool> returned{false};
  std::vector<CommitOutcome> outcomes;
  std::thread writer([&] {
    std::vector<EventCommit> batch{MakeCommit("E2", "T2", 2'000)};
    outcomes = Commit(batch);
    returned = true;
  });
  // Time for the commit to take the store's write connection and start
  // waiting for the lock (busy_timeout is 5 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  EXPECT_TRUE(Value(store_->GetTicket(kTenant, "T1")).has_value());
  EXPECT_FALSE(Value(store_->GetTicket(kTenant, "T2")).has_value());
  EXPECT_TRUE(Value(store_->FindEvent(kTenant, "E1")).has_value());
  EXPECT_THAT(Ids(List({})), ElementsAre("X1"));
  EXPECT_TRUE(Value(store_->GetExecution(kTenant, "X1")).has_value());
  EXPECT_EQ(Value(store_->ListTickets(kTenant, "", 10)).size(), 1u);
  EXPECT_FALSE(returned) << "the reads waited for the commit";

  other.Exec("COMMIT");
  writer.join();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].status.ok()) << outcomes[0].status;
  // Committed, and visible to the next read.
  EXPECT_TRUE(Value(store_->GetTicket(kTenant, "T2")).has_value());
}

// A read of several statements (an execution with its attempts, a page of
// executions) reads one snapshot and ends it: the connection it gives back
// sees the next commit.
TEST_F(SqliteStoreTest, SnapshotReadsEndWithTheirCall) {
  EventCommit first = MakeCommit("E1", "T1", 1'000);
  first.executions.push_back(MakeExecution("X1", first, "r1", "ticket.tag", kSucceeded));
  CommitOne(first);
  for (int i = 0; i < 2 * SqliteStore::kReadConnections; ++i) {  // every connection, at least once
    EXPECT_THAT(Ids(List({})), ElementsAre("X1"));
    EXPECT_TRUE(Value(store_->GetExecution(kTenant, "X1")).has_value());
    EXPECT_EQ(Value(store_->CountBacklog(0)).deferred_queued, 0);
  }
  EventCommit second = MakeCommit("E2", "T2", 2'000);
  second.executions.push_back(MakeExecution("X2", second, "r1", "email.send", kQueued));
  CommitOne(second);
  for (int i = 0; i < 2 * SqliteStore::kReadConnections; ++i) {
    EXPECT_THAT(Ids(List({})), UnorderedElementsAre("X1", "X2"));
    EXPECT_TRUE(Value(store_->GetExecution(kTenant, "X2")).has_value());
    EXPECT_EQ(Value(store_->CountBacklog(0)).deferred_queued, 1);
  }
}

// More concurrent reads than read connections: the extra ones wait for a
// connection instead of failing, and every one sees every commit made before
// it started.
TEST_F(SqliteStoreTest, ConcurrentReadsShareTheReadConnections) {
  constexpr int kReaders = 3 * SqliteStore::kReadConnections;
  constexpr int kEvents = 40;
  std::atomic<int> committed{0};
  std::atomic<int> stale{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      while (committed.load() < kEvents) {
        const int before = committed.load();
        auto tickets = store_->ListTickets(kTenant, "", 1000);
        if (!tickets.ok()) {
          ++errors;
          continue;
        }
        if (static_cast<int>(tickets->size()) < before) ++stale;
      }
    });
  }
  for (int i = 0; i < kEvents; ++i) {
    CommitOne(MakeCommit("E" + std::to_string(i), "T" + std::to_string(i), 1'000 + i));
    ++committed;
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stale.load(), 0) << "a read missed a commit that returned before it started";
  EXPECT_EQ(Value(store_->ListTickets(kTenant, "", 1000)).size(), static_cast<size_t>(kEvents));
}

// --- Trace ids and the backlog ----------------------------------------------

TEST_F(SqliteStoreTest, TraceIdsAreStoredWithExecutionsSnapshotsAndTimers) {
  constexpr char kTrace[] = "0af7651916cd43dd8448eb211c80319c";
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.event.set_trace_id(kTrace);
  ExecutionRow x = MakeExecution("X1", c, "r1", "email.send", kQueued);
  x.trace_id = kTrace;
  c.executions.push_back(x);
  TimerRow t = MakeTimer("sla", "breach", 500);
  t.trace_id = kTrace;
  c.timers.push_back(t);
  CommitOne(c);

  EXPECT_EQ(Value(store_->GetExecution(kTenant, "X1"))->trace_id, kTrace);
  EXPECT_EQ(Value(store_->GetTicket(kTenant, "T1"))->last_event_trace_id, kTrace);
  auto claimed = Value(store_->ClaimDeferred(2'000, kLongLease, 10));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].trace_id, kTrace);
  auto timers = Value(store_->ClaimDueTimers(2'000, kLongLease, 10));
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].trace_id, kTrace);

  // A later event without one clears the snapshot's.
  CommitOne(MakeCommit("E2", "T1", 2'000));
  EXPECT_EQ(Value(store_->GetTicket(kTenant, "T1"))->last_event_trace_id, "");
}

TEST_F(SqliteStoreTest, ADatabaseWithoutTraceColumnsOrTheListingIndexesIsMigrated) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("X1", c, "r1", "ticket.tag", kSucceeded));
  CommitOne(c);
  store_.reset();
  {
    // The schema of the version before trace ids (three versions back: the
    // indexes of executions by ticket and by status came after them).
    Connection db(path_);
    const int version = std::stoi(db.Column("PRAGMA user_version")[0]);
    db.Exec("DROP INDEX executions_by_status");
    db.Exec("DROP INDEX executions_by_ticket");
    db.Exec("ALTER TABLE executions DROP COLUMN trace_id");
    db.Exec("ALTER TABLE tickets DROP COLUMN last_event_trace_id");
    db.Exec("ALTER TABLE timers DROP COLUMN trace_id");
    db.Exec(("PRAGMA user_version = " + std::to_string(version - 3)).c_str());
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  Connection db(path_);
  EXPECT_THAT(db.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                        "'executions' ORDER BY name"),
              ::testing::IsSupersetOf({"executions_by_status", "executions_by_ticket"}));
  // Listing by ticket finds the old row through the new index.
  ExecutionFilter by_ticket;
  by_ticket.ticket_id = "T1";
  EXPECT_THAT(Ids(List(by_ticket)), ElementsAre("X1"));
  // Old rows read back with no trace id; new ones keep theirs.
  EXPECT_EQ(Value(store_->GetExecution(kTenant, "X1"))->trace_id, "");
  EventCommit next = MakeCommit("E2", "T1", 2'000);
  next.event.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  CommitOne(next);
  EXPECT_EQ(Value(store_->GetTicket(kTenant, "T1"))->last_event_trace_id,
            "4bf92f3577b34da6a3ce929d0e0e4736");
}

// EXPLAIN QUERY PLAN of the listing `f` makes, one line per step.
std::string ListingPlan(const std::string& path, const ExecutionFilter& f) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql = "EXPLAIN QUERY PLAN " + SqliteStore::ListExecutionsSql(f);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  // EXPLAIN QUERY PLAN's rows: id, parent, notused, detail.
  std::string plan;
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return plan;
}

// Listing a ticket's executions, alone or with other filters and paging,
// reads the index by ticket: a scan of the tenant's whole trail would take
// time in proportion to everything it ever ran.
TEST_F(SqliteStoreTest, ListingByTicketUsesTheTicketIndex) {
  std::vector<ExecutionFilter> filters(5);
  for (ExecutionFilter& f : filters) f.ticket_id = "T1";
  filters[1].rule_id = "r1";
  filters[2].status = kSucceeded;
  filters[3].start_us = 1'000;
  filters[3].end_us = 2'000;
  filters[4].before_created_us = 1'500;
  filters[4].before_id = "X9";
  for (const ExecutionFilter& f : filters) {
    const std::string plan = ListingPlan(path_, f);
    EXPECT_THAT(plan, HasSubstr("executions_by_ticket")) << SqliteStore::ListExecutionsSql(f);
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("TEMP B-TREE"))) << plan;  // no sort step
  }
}

// Listing the executions of a status other than succeeded (the dead ones
// to retry, the failed ones) reads the partial index by status, alone or
// with other filters and paging; succeeded ones are not in it.
TEST_F(SqliteStoreTest, ListingByAStatusOtherThanSucceededUsesTheStatusIndex) {
  for (int status : {kFailed, kQueued, kRunning, kDead}) {
    std::vector<ExecutionFilter> filters(5);
    for (ExecutionFilter& f : filters) f.status = status;
    filters[1].rule_id = "r1";
    filters[2].action_type = "webhook.post";
    filters[3].start_us = 1'000;
    filters[3].end_us = 2'000;
    filters[4].before_created_us = 1'500;
    filters[4].before_id = "X9";
    for (const ExecutionFilter& f : filters) {
      const std::string plan = ListingPlan(path_, f);
      EXPECT_THAT(plan, HasSubstr("executions_by_status")) << SqliteStore::ListExecutionsSql(f);
      EXPECT_THAT(plan, ::testing::Not(HasSubstr("TEMP B-TREE"))) << plan;
    }
  }
  ExecutionFilter succeeded;
  succeeded.status = kSucceeded;
  EXPECT_THAT(ListingPlan(path_, succeeded), ::testing::Not(HasSubstr("executions_by_status")));
}

// An execution is listed under each status it passes through, and under no
// other: the partial index follows every change of status.
TEST_F(SqliteStoreTest, ListingByStatusFollowsAnExecutionThroughItsLife) {
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("x", c, "r1", "webhook.post", kQueued, 0));
  c.executions.push_back(MakeExecution("tag", c, "r1", "ticket.tag", kSucceeded));
  c.executions.push_back(MakeExecution("bad", c, "r1", "ticket.tag", kFailed));
  CommitOne(c);
  auto listed = [&] {
    std::map<int, std::vector<std::string>> out;
    for (int status : {kSucceeded, kFailed, kQueued, kRunning, kDead}) {
      ExecutionFilter f;
      f.status = status;
      out[status] = Ids(List(f));
    }
    return out;
  };
  using Listing = std::map<int, std::vector<std::string>>;
  EXPECT_EQ(listed(), (Listing{{kSucceeded, {"tag"}},
                               {kFailed, {"bad"}},
                               {kQueued, {"x"}},
                               {kRunning, {}},
                               {kDead, {}}}));
  ASSERT_THAT(Ids(Value(store_->ClaimDeferred(1'000, 1'000, 10))), ElementsAre("x"));
  EXPECT_EQ(listed()[kRunning], std::vector<std::string>{"x"});
  EXPECT_THAT(listed()[kQueued], IsEmpty());
  ASSERT_TRUE(store_->FinishAttempt("x", {1, kFailed, "e1", 1'000, 1'001}, kDead, 0, "").ok());
  EXPECT_EQ(listed(), (Listing{{kSucceeded, {"tag"}},
                               {kFailed, {"bad"}},
                               {kQueued, {}},
                               {kRunning, {}},
                               {kDead, {"x"}}}));
  ASSERT_TRUE(store_->RequeueExecution(kTenant, "x", 2'000).ok());
  EXPECT_EQ(listed()[kQueued], std::vector<std::string>{"x"});
  EXPECT_THAT(listed()[kDead], IsEmpty());
  ASSERT_THAT(Ids(Value(store_->ClaimDeferred(2'000, 1'000, 10))), ElementsAre("x"));
  ASSERT_TRUE(
      store_->FinishAttempt("x", {2, kSucceeded, "", 2'000, 2'001}, kSucceeded, 0, "").ok());
  EXPECT_EQ(listed(), (Listing{{kSucceeded, {"x", "tag"}},
                               {kFailed, {"bad"}},
                               {kQueued, {}},
                               {kRunning, {}},
                               {kDead, {}}}));
}

TEST_F(SqliteStoreTest, CountBacklogCountsTheOutboxAndTimers) {
  EXPECT_EQ(Value(store_->CountBacklog(0)).deferred_queued, 0);
  EventCommit c = MakeCommit("E1", "T1", 1'000);
  c.executions.push_back(MakeExecution("X1", c, "r1", "email.send", kQueued, 100));
  c.executions.push_back(MakeExecution("X2", c, "r1", "email.send", kQueued, 5'000));
  c.executions.push_back(MakeExecution("X3", c, "r1", "ticket.tag", kSucceeded));
  c.timers.push_back(MakeTimer("sla", "a", 1'000));
  c.timers.push_back(MakeTimer("sla", "b", 3'000));
  CommitOne(c);
  ASSERT_EQ(Value(store_->ClaimDeferred(1'000, kLongLease, 10)).size(), 1u);  // X1 runs

  Backlog backlog = Value(store_->CountBacklog(2'000));
  EXPECT_EQ(backlog.deferred_queued, 1);   // X2 (not due yet counts too)
  EXPECT_EQ(backlog.deferred_running, 1);  // X1
  EXPECT_EQ(backlog.timers_due, 1);        // a
  EXPECT_EQ(backlog.timers_total, 2);
  EXPECT_EQ(Value(store_->CountBacklog(3'000)).timers_due, 2);
}

TEST_F(SqliteStoreTest, ConcurrentCommitsAllSucceed) {
  constexpr int kThreads = 8;
  constexpr int kEventsPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        const std::string id = "E" + std::to_string(t) + "-" + std::to_string(i);
        EventCommit c = MakeCommit(id, "T" + std::to_string(t), 1'000 + i);
        c.executions.push_back(MakeExecution("X" + id, c, "r1", "webhook.post", kQueued));
        c.state_writes.push_back({{"counter", "T" + std::to_string(t)}, std::to_string(i)});
        const std::vector<CommitOutcome> outcomes = store_->CommitEvents({&c});
        if (outcomes.size() != 1 || !outcomes[0].status.ok() || outcomes[0].duplicate) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);

  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEventsPerThread; ++i) {
      const std::string id = "E" + std::to_string(t) + "-" + std::to_string(i);
      EXPECT_NE(Value(store_->FindEvent(kTenant, id)), std::nullopt) << id;
    }
    EXPECT_EQ(State(kTenant, "counter", "T" + std::to_string(t)),
              std::to_string(kEventsPerThread - 1));
    EXPECT_EQ(Value(store_->GetTicket(kTenant, "T" + std::to_string(t)))->last_event_id,
              "E" + std::to_string(t) + "-" + std::to_string(kEventsPerThread - 1));
  }
  EXPECT_EQ(List({}, 1'000).size(), static_cast<size_t>(kThreads * kEventsPerThread));
}

}  // namespace
}  // namespace triggerfish::server::store
