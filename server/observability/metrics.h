#pragma once

// Prometheus metrics of triggerfishd (docs/observability.md lists every one
// with its labels). One Metrics object per server; the components that
// record hold a pointer to it (null: not recorded, as in unit tests).
//
//   Metrics metrics;
//   metrics.EventEvaluated(EventSource::kApi, EventOutcome::kCommitted);
//   metrics.CommitDone(/*events=*/12, /*seconds=*/0.004);
//   exposer.RegisterCollectable(metrics.registry());
//
// Recording is cheap and thread-safe: label sets are resolved once (per
// gRPC method and code, per action type, per rule) and then cached, so the
// hot path increments atomics without building label maps. prometheus-cpp
// stays out of this header to keep the including translation units light.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace triggerfish::server::observability {

// Where an event came from.
enum class EventSource { kApi, kTimer, kAutomation };
inline constexpr int kEventSources = 3;

// What became of an event given to the pipeline.
enum class EventOutcome {
  kCommitted,   // evaluated and durably committed
  kDuplicate,   // its id was committed before: the stored result was returned
  kRejected,    // invalid (INVALID_ARGUMENT): nothing ran
  kFailed,      // the commit failed (UNAVAILABLE): nothing was stored
  kUnchanged,   // a schedule tick that changed nothing (not stored)
  kOverloaded,  // refused: max_inflight_events were in flight (UNAVAILABLE)
};
inline constexpr int kEventOutcomes = 6;

// What became of one action execution or attempt.
enum class ActionStatus {
  kSucceeded,  // inline action or deferred attempt succeeded
  kFailed,     // inline action failed (its patch was not applied)
  kQueued,     // deferred action written to the outbox
  kRetrying,   // deferred attempt failed; another one is scheduled
  kDead,       // deferred attempt failed for good
};
inline constexpr int kActionStatuses = 5;

// Most (tenant, rule) series of triggerfish_rules_fired_total; rules beyond
// it are counted under rule="_other" so a runaway number of rules cannot
// blow up the scrape.
inline constexpr size_t kMaxRuleSeries = 10000;

// "OK", "NOT_FOUND", ... for a gRPC status code; "UNKNOWN" for a number
// outside the enum.
std::string_view GrpcCodeName(int code);

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Every metric except the store backlog gauges (see AdminServer).
  std::shared_ptr<prometheus::Registry> registry() const;

  // The series of one gRPC method, resolved once per method and kept for
  // the life of the Metrics object.
  class Rpc;
  // `method` is the full name gRPC reports ("/triggerfish.v1.EventService/
  // PublishEvent"); the pointer must stay valid (gRPC's method names are
  // static). Thread-safe.
  Rpc* ForRpc(const char* method);
  // A finished call: its status code and how long it took.
  void RpcStarted(Rpc* rpc);
  void RpcHandled(Rpc* rpc, int code, double seconds);

  void EventEvaluated(EventSource source, EventOutcome outcome);
  void EventDroppedByCausation();
  // A rule that fired (once per rule and event).
  void RuleFired(std::string_view tenant, std::string_view rule_id);
  // An action's execution or attempt, by "<plugin>.<action>" type.
  void ActionExecuted(std::string_view action_type, ActionStatus status);
  // How long running an action took (inline or one deferred attempt).
  void ActionDuration(std::string_view action_type, bool deferred, double seconds);
  // A plugin call still running at its timeout, left on its thread.
  void ActionAbandoned(std::string_view action_type, bool deferred);
  // A group commit: how many events the transaction held and how long it
  // took (including the fsync).
  void CommitDone(size_t events, double seconds);

 private:
  struct Families;
  struct ActionSeries;
  ActionSeries* ForAction(std::string_view action_type);

  std::unique_ptr<Families> f_;
};

}  // namespace triggerfish::server::observability
