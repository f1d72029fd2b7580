#pragma once

// The production path of an event (EventService.PublishEvent):
//
//   validate -> dedupe (stored or in flight) -> trigger cycle under the
//   tenant's lock -> build the commit (event, snapshot, executions, deferred
//   actions, state, timers) -> group commit -> reply.
//
// A caller gets its response only after the commit is durable. The trigger
// cycles of one tenant run one at a time so that plugin state (e.g. a
// round-robin cursor) behaves as if every event ran alone; the commits of
// many events and tenants share transactions.

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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
  };

  // Every pointer must outlive the pipeline.
  EventPipeline(rules::RuleManager* rules, const engine::ActionCatalog* catalog,
                const actions::HostServices* services, GroupCommitter* committer, Options options);

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
  // known at once (invalid, a stored duplicate), else on the group
  // committer's reply thread once the commit is durable — so it must be
  // quick and not block.
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
  std::mutex& TenantLock(const std::string& tenant);
  // Counts the rules and actions of a committed event (metrics set).
  void CountFired(const std::string& tenant, const v1::PublishEventResponse& response) const;
  store::EventCommit BuildCommit(const std::string& tenant, const v1::Event& event,
                                 engine::CycleResult& result, actions::UnitOfWork& work);

  rules::RuleManager* rules_;
  engine::TriggerCycle cycle_;
  const actions::HostServices* services_;
  actions::PluginStateCache* state_;
  store::Store* store_;
  GroupCommitter* committer_;
  Options options_;

  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> tenant_locks_;

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
};

}  // namespace triggerfish::server::events
