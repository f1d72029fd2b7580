#pragma once

// Store on an SQLite file: WAL journal, busy_timeout set first,
// synchronous=FULL so that a committed transaction survives power loss.
//
// One connection writes; reads that need no write transaction run on a
// small pool of read-only connections. In WAL mode a reader sees the last
// committed state and neither waits for the writer nor holds it up, so a
// long listing never delays a commit (nor a commit a GetTicket).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/store/store.h"

struct sqlite3;

namespace triggerfish::server::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database at `path` and migrates its
  // schema to the current version.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  // Read-only connections Open opens next to the writer's.
  static constexpr int kReadConnections = 4;
  ~SqliteStore() override;

  absl::StatusOr<std::vector<StoredRule>> LoadRules() override;
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(std::string_view tenant,
                                                           std::string_view request_id) override;
  absl::Status InsertRule(std::string_view tenant, const v1::Rule& rule,
                          const RequestRecord* record) override;
  absl::Status UpdateRule(std::string_view tenant, const v1::Rule& rule, int64_t expected_revision,
                          const RequestRecord* record) override;
  absl::Status DeleteRule(std::string_view tenant, std::string_view id, int64_t expected_revision,
                          const RequestRecord* record) override;
  absl::StatusOr<std::optional<std::string>> GetPluginState(std::string_view tenant,
                                                            std::string_view plugin,
                                                            std::string_view key) override;
  absl::StatusOr<std::optional<v1::PublishEventResponse>> FindEvent(std::string_view tenant,
                                                                    std::string_view id) override;
  absl::Status ForEachEventId(
      const std::function<void(std::string_view tenant, std::string_view id)>& fn) override;
  std::vector<CommitOutcome> CommitEvents(const std::vector<EventCommit*>& batch) override;
  absl::StatusOr<std::optional<TicketRow>> GetTicket(std::string_view tenant,
                                                     std::string_view id) override;
  absl::StatusOr<std::vector<TicketRow>> ListTickets(std::string_view tenant,
                                                     std::string_view after_id, int limit) override;
  absl::StatusOr<std::optional<ExecutionRow>> GetExecution(std::string_view tenant,
                                                           std::string_view id) override;
  absl::StatusOr<std::vector<ExecutionRow>> ListExecutions(std::string_view tenant,
                                                           const ExecutionFilter& filter,
                                                           int limit) override;
  // The query ListExecutions runs for `filter` (parameters ?1 to ?11).
  static std::string ListExecutionsSql(const ExecutionFilter& filter);
  absl::StatusOr<std::vector<ExecutionRow>> ClaimDeferred(int64_t now_us, int64_t lease_us,
                                                          int limit) override;
  absl::Status BeginAttempt(const std::string& id, int number, int64_t start_us) override;
  absl::Status FinishAttempt(const std::string& id, const AttemptRow& attempt, int status,
                             int64_t next_attempt_us, const std::string& output_json) override;
  absl::StatusOr<ExecutionRow> RequeueExecution(std::string_view tenant, std::string_view id,
                                                int64_t now_us) override;
  absl::StatusOr<std::vector<TimerRow>> ClaimDueTimers(int64_t now_us, int64_t lease_us,
                                                       int limit) override;
  absl::Status ReleaseTimer(const TimerRow& timer) override;
  absl::Status DeleteTimer(const TimerRow& timer) override;
  absl::StatusOr<std::optional<int64_t>> NextTimerDue() override;
  absl::StatusOr<Backlog> CountBacklog(int64_t now_us) override;
  absl::Status ReclaimLeases() override;
  absl::Status PutPluginState(std::string_view tenant, std::string_view plugin,
                              std::string_view key, std::optional<std::string> value) override;
  absl::StatusOr<bool> CompareAndSetPluginState(std::string_view tenant, std::string_view plugin,
                                                std::string_view key,
                                                const std::optional<std::string>& expected,
                                                std::string_view desired) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListPluginState(
      std::string_view tenant, std::string_view plugin, std::string_view prefix,
      std::string_view after_key, int limit) override;
  absl::Status PutAgent(std::string_view tenant, const v1::Agent& agent, bool create_only,
                        std::string_view expected_etag) override;
  absl::StatusOr<std::optional<v1::Agent>> GetAgent(std::string_view tenant,
                                                    std::string_view id) override;
  absl::StatusOr<std::vector<v1::Agent>> ListAgents(std::string_view tenant,
                                                    std::string_view after_id, int limit,
                                                    std::string_view group,
                                                    std::optional<bool> available) override;
  absl::Status DeleteAgent(std::string_view tenant, std::string_view id) override;
  absl::StatusOr<int64_t> OpenTicketCount(std::string_view tenant,
                                          std::string_view agent_id) override;

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  absl::Status Migrate();
  absl::Status Exec(const char* sql);
  absl::Status WriteRecord(std::string_view tenant, const RequestRecord& record);
  // Writes one event's changes inside the open transaction.
  absl::Status WriteEvent(EventCommit* commit, CommitOutcome* outcome, int64_t now_us);
  static absl::Status LoadAttempts(sqlite3* db, ExecutionRow* row);
  // Runs `body` in a transaction (BEGIN IMMEDIATE ... COMMIT), rolling back
  // when it fails.
  template <typename Body>
  absl::Status InTransaction(Body&& body);

  // A read-only connection of the pool, held for one read (defined in the
  // .cc file).
  class Reader;

  std::mutex mu_;  // guards db_, the writer
  sqlite3* db_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<sqlite3*> readers_;       // every read connection
  std::vector<sqlite3*> idle_readers_;  // those no read holds
};

}  // namespace triggerfish::server::store
