#pragma once

// The production path of an event (EventService.PublishEvent):
//
//   validate -> dedupe (stored) -> the tenant's queue -> on a cycle worker:
//   dedupe (in flight) -> trigger cycle -> build the commit (event,
//   snapshot, executions, deferred actions, state, timers) -> group commit
//   -> reply.
//
// A caller gets its response only after the commit is durable; no caller's
// thread waits for a cycle. The trigger cycles of one tenant run one at a
// time, in arrival order, so that plugin state (e.g. a round-robin cursor)
// behaves as if every event ran alone; different tenants' cycles run in
// parallel on `cycle_threads` workers, which take turns between tenants
// (at most kTenantBatch events of one tenant before the next tenant). The
// commits of many events and tenants share transactions.
//
// Inline actions are called on the cycle workers directly, under a watch:
// a call still running at its timeout makes a watchdog write the worker off
// (it is left inside the plugin and replaced at once) and run the event
// again from the start on another worker, with that action failed and not
// called. A run's effects exist only in its unit of work until it is
// committed, so the abandoned run leaves nothing behind.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/actions/host_api.h"
#include "server/actions/unit_of_work.h"
#include "server/engine/trigger_cycle.h"
#include "server/events/event_id_filter.h"
#include "server/events/group_committer.h"
#include "server/rules/rule_manager.h"
#include "server/store/store.h"

namespace triggerfish::server::observability {
class Metrics;
}

namespace triggerfish::server::events {

using PublishResult = absl::StatusOr<v1::PublishEventResponse>;

// Longest causation chain an emitted event may have.
inline constexpr int kMaxCausationDepth = 10;

class EventPipeline {
 public:
  struct Options {
    // Called (from the committer's reply thread) after a commit queued deferred
    // actions, so that the outbox workers wake up.
    std::function<void()> on_deferred_queued;
    // Counts events by outcome, rules fired and actions run; may be null.
    observability::Metrics* metrics = nullptr;
    // Threads that run trigger cycles (>= 1).
    int cycle_threads = 4;
    // Published events (EventSource::kApi) accepted and not yet answered;
    // beyond it an event is refused at once, UNAVAILABLE with the reason
    // OVERLOADED, so that a slow disk or a flood of callers shows up as
    // refusals a client retries, not as memory the server runs out of.
    // Events Triggerfish emits itself are not counted (their schedulers
    // bound them).
    int max_inflight_events = 10000;
    // How often the watchdog looks for inline action calls past their
    // timeout (so a call is abandoned at most this much after it).
    std::chrono::milliseconds watch_interval{10};
  };

  // Events of one tenant a worker runs before it turns to the next tenant.
  static constexpr int kTenantBatch = 16;

  // Every pointer must outlive the pipeline.
  EventPipeline(rules::RuleManager* rules, const engine::ActionCatalog* catalog,
                const actions::HostServices* services, GroupCommitter* committer, Options options);
  // Runs the events already queued, then stops the workers and the watchdog,
  // and waits until the committer (which must still be running) has answered
  // every event they submitted. Workers written off inside a plugin are not
  // waited for.
  ~EventPipeline();

  // How an event Triggerfish emits itself differs from a helpdesk's.
  struct Internal {
    // Set for events emitted by a timer (deleted in the same transaction).
    std::optional<store::TimerRow> fired_timer;
    // schedule.tick: the rules latched for the ticket (not fired again); the
    // rules that fire are latched too. When nothing fires and the latches
    // equal `previous_latched`, nothing is committed.
    bool automation = false;
    std::vector<std::string> latched_rule_ids;
    std::vector<std::string> previous_latched;
  };

  // Called once with an event's result: on the caller's thread when it is
  // known at once (invalid, a stored duplicate), on a cycle worker when the
  // cycle decides it (a duplicate in flight, a schedule tick that changes
  // nothing), else on the group committer's reply thread once the commit is
  // durable — so it must be quick and not block.
  using Done = std::function<void(PublishResult)>;

  // Runs `event` for `tenant`, commits it and calls `done` with the result.
  // `internal` is set for events Triggerfish emits. `trace_id` (W3C, ""
  // when unknown) replaces the event's output-only trace_id and is stored
  // with the event, its executions and its timers; the cycle's log lines
  // carry it.
  void StartAsync(const std::string& tenant, v1::Event event, Done done,
                  std::optional<Internal> internal = {}, std::string trace_id = {});

  // StartAsync with a future, ready once the commit is durable.
  std::shared_future<PublishResult> Start(const std::string& tenant, v1::Event event,
                                          std::optional<Internal> internal = {},
                                          std::string trace_id = {});

  // Loads the ids of the committed events into the duplicate filter; call
  // once before publishing.
  absl::Status LoadCommittedIds();

  // Start(...).get().
  PublishResult Publish(const std::string& tenant, v1::Event event, std::string trace_id = {}) {
    return Start(tenant, std::move(event), std::nullopt, std::move(trace_id)).get();
  }

  // Events dropped because their causation chain was too long.
  int64_t dropped_by_causation() const { return dropped_by_causation_.load(); }

 private:
  struct Job;
  class Worker;
  // A tenant with events queued or running; it is in ready_ or held by the
  // one worker that runs its events.
  struct TenantQueue {
    std::deque<std::shared_ptr<Job>> jobs;
  };

  void Enqueue(std::shared_ptr<Job> job);
  void StartWorker();
  void WorkerLoop(std::shared_ptr<Worker> worker);
  // Runs one event on `worker`; false if the worker was written off during
  // the cycle (nothing of this run took effect; the job is queued again).
  bool RunJob(Worker& worker, const std::shared_ptr<Job>& job);
  void Watchdog();
  // Counts the rules and actions of a committed event (metrics set).
  void CountFired(const std::string& tenant, const v1::PublishEventResponse& response) const;
  // Takes the event: it moves into the commit.
  store::EventCommit BuildCommit(const std::string& tenant, v1::Event&& event,
                                 engine::CycleResult& result, actions::UnitOfWork& work);

  rules::RuleManager* rules_;
  // Shared with the runs in progress: a written-off worker that comes back
  // from its plugin finishes its (discarded) cycle with its own reference.
  std::shared_ptr<const engine::TriggerCycle> cycle_;
  const actions::HostServices* services_;
  actions::PluginStateCache* state_;
  store::Store* store_;
  GroupCommitter* committer_;
  Options options_;

  std::mutex sched_mu_;
  std::condition_variable sched_cv_;
  std::map<std::string, TenantQueue> tenants_;
  std::deque<std::string> ready_;  // tenants waiting for a worker
  std::vector<std::shared_ptr<Worker>> workers_;
  int live_workers_ = 0;  // not counting written-off ones
  bool stopping_ = false;
  std::condition_variable stopped_cv_;

  // Events submitted to the committer and not yet answered.
  std::mutex commits_mu_;
  std::condition_variable commits_cv_;
  int pending_commits_ = 0;

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool watch_stop_ = false;
  std::thread watchdog_;

  // An event being committed, or committed recently: a duplicate joins its
  // result instead of running again.
  struct Flight {
    bool done = false;
    PublishResult result;       // once done
    std::vector<Done> waiters;  // duplicates that arrived before it was done
  };
  using FlightKey = std::pair<std::string, std::string>;  // (tenant, event id)

  static constexpr size_t kRecentEvents = 16384;
  EventIdFilter committed_ids_;
  std::mutex inflight_mu_;
  std::map<FlightKey, std::shared_ptr<Flight>> inflight_;
  std::deque<FlightKey> recent_;  // committed, oldest first

  std::atomic<int64_t> dropped_by_causation_{0};
  std::atomic<int> inflight_events_{0};  // published, accepted, not yet answered
};

}  // namespace triggerfish::server::events
