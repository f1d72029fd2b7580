#pragma once

// Durable state of the server behind one interface, so that the engine does
// not know which database holds it. SQLite (embedded, the default) implements
// it now; a PostgreSQL implementation for replicas sharing state follows the
// same contract.
//
// Every method is thread-safe and atomic: it either applies completely and
// durably (fsync'd before it returns OK) or not at all.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "triggerfish/v1/agent_service.pb.h"
#include "triggerfish/v1/event.pb.h"
#include "triggerfish/v1/event_service.pb.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::server::store {

struct StoredRule {
  std::string tenant;
  v1::Rule rule;
};

// The outcome of a mutation, kept under its request_id so that a retry
// returns the first response (AIP-155).
struct RequestRecord {
  std::string request_id;
  // RPC the record belongs to, e.g. "CreateRule".
  std::string method;
  // Hash of the request; a retry with the same id but another request is
  // refused.
  std::string fingerprint;
  // Serialized response message.
  std::string response;
};

// One attempt of an action.
struct AttemptRow {
  int number = 0;
  int status = 0;  // v1::ExecutionStatus
  std::string error;
  int64_t start_us = 0;
  int64_t end_us = 0;
};

// An action a fired rule ran (inline) or queued (deferred): the audit record
// and, for deferred actions, the outbox job.
struct ExecutionRow {
  std::string id;
  std::string tenant;
  std::string event_id;
  std::string ticket_id;
  std::string rule_id;
  int action_index = 0;
  std::string action_type;
  int mode = 0;    // v1::ActionMode
  int status = 0;  // v1::ExecutionStatus
  std::string operation_id;
  std::string error;
  std::string output_json;  // JSON text or empty
  std::string patch;        // serialized v1::TicketPatch or empty
  // Inputs of a deferred action (JSON documents of the plugin ABI).
  std::string params_json;
  std::string ticket_json;
  std::string event_json;
  int attempts = 0;
  // Attempts made before the last RequeueExecution (the retry budget starts
  // over from there; attempt numbers keep counting).
  int attempt_base = 0;
  int64_t next_attempt_us = 0;
  int64_t created_us = 0;
  int64_t updated_us = 0;
  // W3C trace id of the event (Event.trace_id), or empty.
  std::string trace_id;
  // Filled by reads. A commit stores the ones given; an inline execution
  // needs none: read back without any, it has one attempt made of its own
  // status, error and creation time.
  std::vector<AttemptRow> attempt_rows;
};

// A durable timer: at due_us, an event of event_type is emitted for the
// ticket.
struct TimerRow {
  std::string tenant;
  std::string plugin;
  std::string key;
  std::string ticket_id;
  int64_t due_us = 0;
  std::string event_type;
  std::string payload_json;
  // Ids of the events that led to the timer, oldest first.
  std::vector<std::string> causation_ids;
  // Trace id of the event that scheduled the timer; its event carries it.
  std::string trace_id;
  bool cancel = false;  // in EventCommit::timers: delete instead of upsert
};

struct TicketRow {
  v1::Ticket ticket;
  std::string last_event_id;
  // occurred_at of the last helpdesk event applied (internal events -
  // timers, schedule ticks - do not move it).
  int64_t last_event_us = 0;
  std::vector<std::string> fired_rule_ids;
  int64_t updated_us = 0;
  // schedule.tick rules that fired for the ticket and whose condition has
  // held ever since (they do not fire again until it stops holding).
  std::vector<std::string> latched_rule_ids;
  // Trace id of the event that produced the snapshot, or empty.
  std::string last_event_trace_id;
};

// Everything one published event changes, committed atomically.
struct EventCommit {
  std::string tenant;
  v1::Event event;
  // The response to store and return; the store sets snapshot_updated and
  // commit_time.
  v1::PublishEventResponse response;
  // The ticket after the trigger cycle; becomes the snapshot unless the
  // stored snapshot comes from a later event.
  v1::Ticket ticket;
  std::vector<std::string> fired_rule_ids;
  std::vector<ExecutionRow> executions;
  std::vector<std::pair<std::pair<std::string, std::string>, std::optional<std::string>>>
      state_writes;  // ((plugin, key), value or nullopt = delete)
  std::vector<TimerRow> timers;
  // Set when the event was emitted by this timer: it is deleted in the same
  // transaction (if still due at the same instant).
  std::optional<TimerRow> fired_timer;
  // An event Triggerfish emitted itself (timer, schedule tick): its ticket
  // patch is applied to the stored snapshot as it is at commit time, and the
  // snapshot's helpdesk event time is kept.
  bool internal = false;
  // When set, replaces the ticket's latched schedule.tick rules.
  std::optional<std::vector<std::string>> latched_rule_ids;
};

struct CommitOutcome {
  absl::Status status;
  // The event id was already committed; `response` is the stored one.
  bool duplicate = false;
  v1::PublishEventResponse response;
};

// What is waiting in the store (the metrics' backlog gauges).
struct Backlog {
  int64_t deferred_queued = 0;   // deferred executions QUEUED
  int64_t deferred_running = 0;  // deferred executions RUNNING (claimed)
  int64_t timers_due = 0;        // timers with due_us <= now
  int64_t timers_total = 0;      // every stored timer
};

struct ExecutionFilter {
  std::string ticket_id, rule_id, action_type, event_id;
  int status = 0;
  int64_t start_us = 0, end_us = 0;  // 0: unbounded
  // Page cursor: executions strictly older than (created_us, id).
  int64_t before_created_us = 0;
  std::string before_id;
};

class Store {
 public:
  virtual ~Store() = default;

  // Every rule of every tenant.
  virtual absl::StatusOr<std::vector<StoredRule>> LoadRules() = 0;

  // The record of `request_id` for `tenant`, or nullopt.
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(std::string_view tenant,
                                                                   std::string_view request_id) = 0;

  // Inserts a new rule, and `record` when not null, in one transaction.
  // ALREADY_EXISTS when the tenant has a rule with that id.
  virtual absl::Status InsertRule(std::string_view tenant, const v1::Rule& rule,
                                  const RequestRecord* record) = 0;

  // Replaces a rule whose stored revision is `expected_revision`, and writes
  // `record` when not null. NOT_FOUND when there is no such rule; ABORTED
  // when its revision differs.
  virtual absl::Status UpdateRule(std::string_view tenant, const v1::Rule& rule,
                                  int64_t expected_revision, const RequestRecord* record) = 0;

  // Deletes a rule whose stored revision is `expected_revision`, and writes
  // `record` when not null. NOT_FOUND / ABORTED as for UpdateRule.
  virtual absl::Status DeleteRule(std::string_view tenant, std::string_view id,
                                  int64_t expected_revision, const RequestRecord* record) = 0;

  // The value of a plugin's state key, or nullopt when it has none.
  virtual absl::StatusOr<std::optional<std::string>> GetPluginState(std::string_view tenant,
                                                                    std::string_view plugin,
                                                                    std::string_view key) = 0;

  // The stored response of event `id`, or nullopt when it was never
  // committed.
  virtual absl::StatusOr<std::optional<v1::PublishEventResponse>> FindEvent(
      std::string_view tenant, std::string_view id) = 0;

  // Calls `fn(tenant, id)` for every committed event (at start-up, to build
  // the in-memory duplicate filter).
  virtual absl::Status ForEachEventId(
      const std::function<void(std::string_view tenant, std::string_view id)>& fn) = 0;

  // Commits the events in one transaction (group commit: one fsync for the
  // batch). Returns one outcome per event, in order. An event whose id is
  // already committed changes nothing and gets duplicate = true. If the
  // transaction fails, every outcome carries the error and nothing is
  // written.
  virtual std::vector<CommitOutcome> CommitEvents(const std::vector<EventCommit*>& batch) = 0;

  virtual absl::StatusOr<std::optional<TicketRow>> GetTicket(std::string_view tenant,
                                                             std::string_view id) = 0;
  // Tickets with id > after_id, by id.
  virtual absl::StatusOr<std::vector<TicketRow>> ListTickets(std::string_view tenant,
                                                             std::string_view after_id,
                                                             int limit) = 0;

  virtual absl::StatusOr<std::optional<ExecutionRow>> GetExecution(std::string_view tenant,
                                                                   std::string_view id) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<ExecutionRow>> ListExecutions(std::string_view tenant,
                                                                   const ExecutionFilter& filter,
                                                                   int limit) = 0;

  // Claims up to `limit` deferred executions that are due (QUEUED with
  // next_attempt_us <= now, or RUNNING with an expired lease): marks them
  // RUNNING with a lease until now + lease_us and returns them. An attempt
  // still RUNNING under an expired lease is recorded as FAILED
  // ("interrupted: ...").
  virtual absl::StatusOr<std::vector<ExecutionRow>> ClaimDeferred(int64_t now_us, int64_t lease_us,
                                                                  int limit) = 0;
  // Records that attempt `number` of a claimed execution starts now (status
  // RUNNING, executions.attempts = number), before the plugin is called: an
  // attempt that never finishes because the process died still counts
  // against the retry budget, so a job that crashes the server goes DEAD
  // after max_attempts restarts instead of crashing it forever.
  virtual absl::Status BeginAttempt(const std::string& id, int number, int64_t start_us) = 0;
  // Records an attempt of a claimed execution and its new state: status
  // SUCCEEDED or DEAD (final) or QUEUED (retry at next_attempt_us).
  virtual absl::Status FinishAttempt(const std::string& id, const AttemptRow& attempt, int status,
                                     int64_t next_attempt_us, const std::string& output_json) = 0;
  // Queues a DEAD deferred execution again. NOT_FOUND / FAILED_PRECONDITION.
  virtual absl::StatusOr<ExecutionRow> RequeueExecution(std::string_view tenant,
                                                        std::string_view id, int64_t now_us) = 0;

  // Claims timers due at or before now whose lease expired, leasing them
  // until now + lease_us.
  virtual absl::StatusOr<std::vector<TimerRow>> ClaimDueTimers(int64_t now_us, int64_t lease_us,
                                                               int limit) = 0;
  // Gives up a claimed timer that could not fire (its lease ends now).
  virtual absl::Status ReleaseTimer(const TimerRow& timer) = 0;
  // Deletes a timer if it is still due at timer.due_us (its event was
  // already committed).
  virtual absl::Status DeleteTimer(const TimerRow& timer) = 0;
  // Earliest due time of any timer, or nullopt.
  virtual absl::StatusOr<std::optional<int64_t>> NextTimerDue() = 0;

  // Counts the backlog at `now_us`. Cheap enough to call on every metrics
  // scrape (indexed counts).
  virtual absl::StatusOr<Backlog> CountBacklog(int64_t now_us) = 0;

  // At start-up: executions left RUNNING and timers left leased by a
  // previous process become claimable at once; their unfinished attempts
  // are recorded as FAILED ("interrupted: ...").
  virtual absl::Status ReclaimLeases() = 0;

  // Plugin state written outside an event's transaction (deferred actions):
  // each call is its own transaction. nullopt deletes.
  virtual absl::Status PutPluginState(std::string_view tenant, std::string_view plugin,
                                      std::string_view key, std::optional<std::string> value) = 0;
  // Sets `key` to `desired` only if its value is `expected` (nullopt:
  // absent). Returns whether it did.
  virtual absl::StatusOr<bool> CompareAndSetPluginState(std::string_view tenant,
                                                        std::string_view plugin,
                                                        std::string_view key,
                                                        const std::optional<std::string>& expected,
                                                        std::string_view desired) = 0;
  // Keys of a plugin with `prefix`, after `after_key`, by key.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListPluginState(
      std::string_view tenant, std::string_view plugin, std::string_view prefix,
      std::string_view after_key, int limit) = 0;

  // Agents. PutAgent: `create_only` fails with ALREADY_EXISTS on an existing
  // id; a non-empty `expected_etag` makes it conditional (ABORTED).
  virtual absl::Status PutAgent(std::string_view tenant, const v1::Agent& agent, bool create_only,
                                std::string_view expected_etag) = 0;
  virtual absl::StatusOr<std::optional<v1::Agent>> GetAgent(std::string_view tenant,
                                                            std::string_view id) = 0;
  // Agents with id > after_id, by id; `group` and `available` filter when
  // set.
  virtual absl::StatusOr<std::vector<v1::Agent>> ListAgents(std::string_view tenant,
                                                            std::string_view after_id, int limit,
                                                            std::string_view group,
                                                            std::optional<bool> available) = 0;
  // NOT_FOUND for an unknown id.
  virtual absl::Status DeleteAgent(std::string_view tenant, std::string_view id) = 0;
  // Tickets assigned to the agent whose snapshot is not solved or closed.
  virtual absl::StatusOr<int64_t> OpenTicketCount(std::string_view tenant,
                                                  std::string_view agent_id) = 0;
};

}  // namespace triggerfish::server::store
