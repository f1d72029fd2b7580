#include "server/observability/metrics.h"

#include <array>
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/common/grpc_code_names.h"

namespace triggerfish::server::observability {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;

constexpr int kGrpcCodes = static_cast<int>(kGrpcCodeNames.size());  // OK .. UNAUTHENTICATED

constexpr std::array<std::string_view, kEventSources> kSourceNames = {"api", "timer", "automation"};
constexpr std::array<std::string_view, kEventOutcomes> kOutcomeNames = {
    "committed", "duplicate", "rejected", "failed", "unchanged", "overloaded"};
constexpr std::array<std::string_view, kActionStatuses> kActionStatusNames = {
    "succeeded", "failed", "queued", "retrying", "dead"};

// Heterogeneous lookup: find by string_view without building a string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// A series created on first use and cached; Family::Add is idempotent, so
// two threads racing to create it get the same object.
template <typename T, typename Make>
T* Resolve(std::atomic<T*>& slot, Make make) {
  T* value = slot.load(std::memory_order_acquire);
  if (value == nullptr) {
    value = &make();
    slot.store(value, std::memory_order_release);
  }
  return value;
}

Histogram::BucketBoundaries RpcBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}
Histogram::BucketBoundaries ActionBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}
Histogram::BucketBoundaries CommitBuckets() {
  return {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}
Histogram::BucketBoundaries BatchBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512}; }

}  // namespace

std::string_view GrpcCodeName(int code) {
  return code >= 0 && code < kGrpcCodes ? kGrpcCodeNames[code] : kGrpcCodeNames[2];
}

class Metrics::Rpc {
 public:
  std::string service;
  std::string method;
  Counter* started = nullptr;
  std::array<std::atomic<Counter*>, kGrpcCodes> handled{};
  std::array<std::atomic<Histogram*>, kGrpcCodes> seconds{};
};

struct Metrics::ActionSeries {
  std::string plugin;
  std::string action;
  std::array<std::atomic<Counter*>, kActionStatuses> executions{};
  std::atomic<Histogram*> inline_seconds{nullptr};
  std::atomic<Histogram*> deferred_seconds{nullptr};
  std::atomic<Counter*> inline_abandoned{nullptr};
  std::atomic<Counter*> deferred_abandoned{nullptr};
};

struct Metrics::Families {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  Family<Counter>& rpc_started = prometheus::BuildCounter()
                                     .Name("triggerfish_grpc_server_started_total")
                                     .Help("gRPC calls started, by service and method.")
                                     .Register(*registry);
  Family<Counter>& rpc_handled =
      prometheus::BuildCounter()
          .Name("triggerfish_grpc_server_handled_total")
          .Help("gRPC calls finished, by service, method and status code.")
          .Register(*registry);
  Family<Histogram>& rpc_seconds =
      prometheus::BuildHistogram()
          .Name("triggerfish_grpc_server_handling_seconds")
          .Help(
              "Time from receiving a call's metadata to sending its status, by service, method "
              "and status code.")
          .Register(*registry);
  Family<Counter>& events = prometheus::BuildCounter()
                                .Name("triggerfish_events_total")
                                .Help("Events given to the pipeline, by source and outcome.")
                                .Register(*registry);
  Family<Counter>& dropped = prometheus::BuildCounter()
                                 .Name("triggerfish_events_dropped_by_causation_total")
                                 .Help(
                                     "Events whose timers were dropped because their "
                                     "causation chain reached the limit (10).")
                                 .Register(*registry);
  Family<Counter>& rules_fired =
      prometheus::BuildCounter()
          .Name("triggerfish_rules_fired_total")
          .Help(
              "Rules that fired, by tenant and rule id (at most 10000 series; the rest under "
              "rule=\"_other\").")
          .Register(*registry);
  Family<Counter>& action_executions =
      prometheus::BuildCounter()
          .Name("triggerfish_action_executions_total")
          .Help(
              "Action executions (inline) and attempts (deferred), by plugin, action and "
              "status.")
          .Register(*registry);
  Family<Histogram>& action_seconds =
      prometheus::BuildHistogram()
          .Name("triggerfish_action_duration_seconds")
          .Help(
              "Time an action took to run (inline) or one attempt took (deferred), by plugin, "
              "action and mode.")
          .Register(*registry);
  Family<Counter>& action_abandoned =
      prometheus::BuildCounter()
          .Name("triggerfish_action_calls_abandoned_total")
          .Help(
              "Plugin calls still running at their timeout, abandoned on a written-off thread, "
              "by plugin, action and mode.")
          .Register(*registry);
  Family<Histogram>& commit_seconds =
      prometheus::BuildHistogram()
          .Name("triggerfish_store_commit_duration_seconds")
          .Help("Time a group commit (one transaction and fsync) took.")
          .Register(*registry);
  Family<Histogram>& commit_events = prometheus::BuildHistogram()
                                         .Name("triggerfish_store_commit_batch_events")
                                         .Help("Events committed together in one group commit.")
                                         .Register(*registry);

  std::array<std::array<Counter*, kEventOutcomes>, kEventSources> event_counters{};
  Counter* dropped_counter = nullptr;
  Histogram* commit_histogram = nullptr;
  Histogram* batch_histogram = nullptr;

  std::shared_mutex rpc_mu;
  std::unordered_map<const char*, std::unique_ptr<Rpc>> rpcs;

  std::shared_mutex action_mu;
  StringMap<std::unique_ptr<ActionSeries>> actions;

  std::shared_mutex rule_mu;
  StringMap<StringMap<Counter*>> rules;  // tenant -> rule id -> series
  size_t rule_series = 0;
};

Metrics::Metrics() : f_(std::make_unique<Families>()) {
  for (int s = 0; s < kEventSources; ++s) {
    for (int o = 0; o < kEventOutcomes; ++o) {
      f_->event_counters[s][o] = &f_->events.Add(
          {{"source", std::string(kSourceNames[s])}, {"outcome", std::string(kOutcomeNames[o])}});
    }
  }
  f_->dropped_counter = &f_->dropped.Add({});
  f_->commit_histogram = &f_->commit_seconds.Add({}, CommitBuckets());
  f_->batch_histogram = &f_->commit_events.Add({}, BatchBuckets());
}

Metrics::~Metrics() = default;

std::shared_ptr<prometheus::Registry> Metrics::registry() const { return f_->registry; }

Metrics::Rpc* Metrics::ForRpc(const char* method) {
  {
    std::shared_lock lock(f_->rpc_mu);
    auto it = f_->rpcs.find(method);
    if (it != f_->rpcs.end()) return it->second.get();
  }
  auto rpc = std::make_unique<Rpc>();
  // "/package.Service/Method"; anything else (gRPC's "unknown" handler)
  // is reported as is under both labels.
  const std::string_view name = method != nullptr ? method : "unknown";
  const size_t slash = name.rfind('/');
  if (!name.empty() && name[0] == '/' && slash != 0 && slash != std::string_view::npos) {
    rpc->service = std::string(name.substr(1, slash - 1));
    rpc->method = std::string(name.substr(slash + 1));
  } else {
    rpc->service = rpc->method = std::string(name);
  }
  rpc->started = &f_->rpc_started.Add({{"service", rpc->service}, {"method", rpc->method}});
  std::unique_lock lock(f_->rpc_mu);
  auto [it, inserted] = f_->rpcs.emplace(method, std::move(rpc));
  return it->second.get();
}

void Metrics::RpcStarted(Rpc* rpc) { rpc->started->Increment(); }

void Metrics::RpcHandled(Rpc* rpc, int code, double seconds) {
  if (code < 0 || code >= kGrpcCodes) code = 2;  // UNKNOWN
  auto labels = [&] {
    return prometheus::Labels{{"service", rpc->service},
                              {"method", rpc->method},
                              {"code", std::string(kGrpcCodeNames[code])}};
  };
  Resolve(rpc->handled[code], [&]() -> Counter& {
    return f_->rpc_handled.Add(labels());
  })->Increment();
  Resolve(rpc->seconds[code], [&]() -> Histogram& {
    return f_->rpc_seconds.Add(labels(), RpcBuckets());
  })->Observe(seconds);
}

void Metrics::EventEvaluated(EventSource source, EventOutcome outcome) {
  f_->event_counters[static_cast<int>(source)][static_cast<int>(outcome)]->Increment();
}

void Metrics::EventDroppedByCausation() { f_->dropped_counter->Increment(); }

void Metrics::RuleFired(std::string_view tenant, std::string_view rule_id) {
  {
    std::shared_lock lock(f_->rule_mu);
    auto t = f_->rules.find(tenant);
    if (t != f_->rules.end()) {
      auto r = t->second.find(rule_id);
      if (r != t->second.end()) {
        r->second->Increment();
        return;
      }
    }
  }
  std::unique_lock lock(f_->rule_mu);
  auto& tenant_rules = f_->rules[std::string(tenant)];
  auto r = tenant_rules.find(rule_id);
  if (r == tenant_rules.end()) {
    const bool over = f_->rule_series >= kMaxRuleSeries;
    Counter& counter = f_->rules_fired.Add(
        {{"tenant", std::string(tenant)}, {"rule", over ? "_other" : std::string(rule_id)}});
    // Past the cap the rule is not remembered either, so the map stays
    // bounded too (it finds the "_other" series again each time).
    if (over) {
      counter.Increment();
      return;
    }
    ++f_->rule_series;
    r = tenant_rules.emplace(std::string(rule_id), &counter).first;
  }
  r->second->Increment();
}

Metrics::ActionSeries* Metrics::ForAction(std::string_view action_type) {
  {
    std::shared_lock lock(f_->action_mu);
    auto it = f_->actions.find(action_type);
    if (it != f_->actions.end()) return it->second.get();
  }
  // Action types come from loaded plugins (rules and the outbox only hold
  // types that existed), so this map stays small.
  auto series = std::make_unique<ActionSeries>();
  const size_t dot = action_type.find('.');
  series->plugin = std::string(action_type.substr(0, dot));
  series->action = dot == std::string_view::npos ? "" : std::string(action_type.substr(dot + 1));
  std::unique_lock lock(f_->action_mu);
  auto [it, inserted] = f_->actions.emplace(std::string(action_type), std::move(series));
  return it->second.get();
}

void Metrics::ActionExecuted(std::string_view action_type, ActionStatus status) {
  ActionSeries* series = ForAction(action_type);
  const int s = static_cast<int>(status);
  Resolve(series->executions[s], [&]() -> Counter& {
    return f_->action_executions.Add({{"plugin", series->plugin},
                                      {"action", series->action},
                                      {"status", std::string(kActionStatusNames[s])}});
  })->Increment();
}

void Metrics::ActionDuration(std::string_view action_type, bool deferred, double seconds) {
  ActionSeries* series = ForAction(action_type);
  Resolve(deferred ? series->deferred_seconds : series->inline_seconds, [&]() -> Histogram& {
    return f_->action_seconds.Add({{"plugin", series->plugin},
                                   {"action", series->action},
                                   {"mode", deferred ? "deferred" : "inline"}},
                                  ActionBuckets());
  })->Observe(seconds);
}

void Metrics::ActionAbandoned(std::string_view action_type, bool deferred) {
  ActionSeries* series = ForAction(action_type);
  Resolve(deferred ? series->deferred_abandoned : series->inline_abandoned, [&]() -> Counter& {
    return f_->action_abandoned.Add({{"plugin", series->plugin},
                                     {"action", series->action},
                                     {"mode", deferred ? "deferred" : "inline"}});
  })->Increment();
}

void Metrics::CommitDone(size_t events, double seconds) {
  f_->commit_histogram->Observe(seconds);
  f_->batch_histogram->Observe(static_cast<double>(events));
}

}  // namespace triggerfish::server::observability
