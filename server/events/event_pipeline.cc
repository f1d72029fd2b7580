#include "server/events/event_pipeline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>

#include "google/protobuf/util/time_util.h"
#include "server/actions/plugin_json.h"
#include "server/common/strings.h"
#include "server/common/thread_name.h"
#include "server/common/violations.h"
#include "server/engine/event_validator.h"
#include "server/observability/metrics.h"
#include "server/observability/trace_context.h"
#include "server/plugins/call_watch.h"
#include "spdlog/spdlog.h"
#include "triggerfish/v1/execution_service.pb.h"

namespace triggerfish::server::events {
namespace {

using google::protobuf::util::TimeUtil;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "x" and 16 hex digits: 11 of the creation time in microseconds, then 5 of
// a per-process counter that starts at a random value. Ids made later sort
// later, so the store appends to its id index instead of writing into the
// middle of it (one page per commit rather than one per execution); the
// counter keeps ids of the same microsecond apart.
std::string NewExecutionId(int64_t now_us) {
  static std::atomic<uint32_t> counter{static_cast<uint32_t>(std::random_device{}())};
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t bits = (static_cast<uint64_t>(now_us) << 20) |
                        (counter.fetch_add(1, std::memory_order_relaxed) & 0xfffff);
  std::string id(17, 'x');
  for (int i = 16; i >= 1; --i) id[i] = kHex[(bits >> (4 * (16 - i))) & 15];
  return id;
}

PublishResult AsDuplicate(PublishResult result) {
  if (result.ok()) result->set_duplicate(true);
  return result;
}

}  // namespace

EventPipeline::EventPipeline(rules::RuleManager* rules, const engine::ActionCatalog* catalog,
                             const actions::HostServices* services, GroupCommitter* committer,
                             Options options)
    : rules_(rules),
      cycle_(std::make_shared<const engine::TriggerCycle>(*catalog)),
      services_(services),
      state_(services->cache),
      store_(services->store),
      committer_(committer),
      options_(std::move(options)) {
  std::lock_guard lock(sched_mu_);
  for (int i = 0; i < std::max(1, options_.cycle_threads); ++i) StartWorker();
  watchdog_ = std::thread([this] { Watchdog(); });
}

EventPipeline::~EventPipeline() {
  {
    std::unique_lock lock(sched_mu_);
    stopping_ = true;
    sched_cv_.notify_all();
    stopped_cv_.wait(lock, [&] { return live_workers_ == 0; });
  }
  {
    // The committer answers the events the workers submitted on its reply
    // thread, in callbacks that use this pipeline (the flights, the recent
    // ids): wait for the last one before the members go.
    std::unique_lock lock(commits_mu_);
    commits_cv_.wait(lock, [&] { return pending_commits_ == 0; });
  }
  {
    std::lock_guard lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_cv_.notify_all();
  watchdog_.join();
}

void EventPipeline::CountFired(const std::string& tenant,
                               const v1::PublishEventResponse& response) const {
  using observability::ActionStatus;
  for (const v1::FiredRule& fired : response.fired_rules()) {
    options_.metrics->RuleFired(tenant, fired.rule_id());
    for (const v1::ActionResult& action : fired.actions()) {
      options_.metrics->ActionExecuted(
          action.type(), action.status() == v1::ACTION_STATUS_QUEUED      ? ActionStatus::kQueued
                         : action.status() == v1::ACTION_STATUS_SUCCEEDED ? ActionStatus::kSucceeded
                                                                          : ActionStatus::kFailed);
    }
  }
}

absl::Status EventPipeline::LoadCommittedIds() {
  return store_->ForEachEventId(
      [this](std::string_view tenant, std::string_view id) { committed_ids_.Add(tenant, id); });
}

// An event on its way through the queue and the cycle.
struct EventPipeline::Job {
  std::string tenant;
  v1::Event event;
  Done done;
  std::optional<Internal> internal;
  observability::EventSource source = observability::EventSource::kApi;
  // Inline actions of earlier runs whose calls were abandoned, with the
  // message they fail with; written by the watchdog only while no worker
  // runs the job.
  std::map<std::pair<std::string, int>, std::string> failed_actions;
};

// A cycle thread, watched over by the watchdog while it is inside a plugin.
class EventPipeline::Worker final : public plugins::CallWatch {
 public:
  bool Begin(std::chrono::milliseconds timeout, std::string_view rule_id, int action_index,
             std::string_view action_type) override {
    std::lock_guard lock(mu);
    if (abandoned) return false;
    in_call = true;
    deadline = std::chrono::steady_clock::now() + timeout;
    call_timeout = timeout;
    call_rule = rule_id;
    call_index = action_index;
    call_type = action_type;
    return true;
  }
  bool End() override {
    std::lock_guard lock(mu);
    in_call = false;
    return !abandoned;
  }
  bool written_off() override {
    std::lock_guard lock(mu);
    return abandoned;
  }

  std::mutex mu;  // guards everything below
  bool in_call = false;
  bool abandoned = false;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds call_timeout{0};
  // Point into the run's rule set, which the thread in the plugin keeps
  // alive; read only while in_call.
  std::string_view call_rule;
  int call_index = 0;
  std::string_view call_type;
  std::shared_ptr<Job> job;  // the one being run
};

// Called with sched_mu_ held.
void EventPipeline::StartWorker() {
  auto worker = std::make_shared<Worker>();
  workers_.push_back(worker);
  ++live_workers_;
  std::thread([this, worker] { WorkerLoop(worker); }).detach();
}

void EventPipeline::Enqueue(std::shared_ptr<Job> job) {
  std::lock_guard lock(sched_mu_);
  auto [it, added] = tenants_.try_emplace(job->tenant);
  it->second.jobs.push_back(std::move(job));
  if (added) {
    ready_.push_back(it->first);
    sched_cv_.notify_one();
  }
}

void EventPipeline::WorkerLoop(std::shared_ptr<Worker> worker) {
  NameThisThread("tf-cycle");
  plugins::CallWatch::SetCurrent(worker.get());
  std::unique_lock lock(sched_mu_);
  while (true) {
    sched_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
    if (ready_.empty()) break;  // stopping, and every queued event has run
    const std::string tenant = std::move(ready_.front());
    ready_.pop_front();
    // This worker holds the tenant until it puts it back or drops it; only
    // the holder (or the watchdog, for a holder it wrote off) touches it.
    TenantQueue& queue = tenants_.at(tenant);
    for (int n = 0; n < kTenantBatch && !queue.jobs.empty(); ++n) {
      std::shared_ptr<Job> job = std::move(queue.jobs.front());
      queue.jobs.pop_front();
      lock.unlock();
      if (!RunJob(*worker, job)) {
        // Written off, back from the plugin: the watchdog took over the
        // job and the tenant, and the pipeline may be gone by now.
        plugins::AbandonedCallsRunning().fetch_sub(1);
        return;
      }
      lock.lock();
    }
    if (queue.jobs.empty()) {
      tenants_.erase(tenant);
    } else {
      ready_.push_back(tenant);  // the next tenant's turn first
    }
  }
  --live_workers_;
  stopped_cv_.notify_all();
}

void EventPipeline::Watchdog() {
  NameThisThread("tf-watchdog");
  std::unique_lock watch_lock(watch_mu_);
  while (!watch_cv_.wait_for(watch_lock, options_.watch_interval, [&] { return watch_stop_; })) {
    std::vector<std::shared_ptr<Worker>> workers;
    {
      std::lock_guard lock(sched_mu_);
      workers = workers_;
    }
    const auto now = std::chrono::steady_clock::now();
    for (const auto& worker : workers) {
      std::shared_ptr<Job> job;
      std::string rule, type;
      int index = 0;
      std::chrono::milliseconds timeout{0};
      {
        std::lock_guard lock(worker->mu);
        if (!worker->in_call || worker->abandoned || now < worker->deadline) continue;
        worker->abandoned = true;
        job = std::move(worker->job);
        rule = std::string(worker->call_rule);
        index = worker->call_index;
        type = std::string(worker->call_type);
        timeout = worker->call_timeout;
      }
      plugins::AbandonedCallsRunning().fetch_add(1);
      spdlog::error(
          "tenant {}: inline action {} (rule {}, action {}) of event {} did not return within "
          "{} ms: the call is abandoned on its thread, which is replaced, and the event runs "
          "again with that action failed",
          job->tenant, type, rule, index, job->event.id(), timeout.count());
      if (options_.metrics != nullptr) options_.metrics->ActionAbandoned(type, /*deferred=*/false);
      // No worker runs the job now: the written-off one returns false from
      // RunJob (if it ever returns) without touching it.
      job->failed_actions[{rule, index}] = plugins::AbandonedCallMessage(timeout);
      std::lock_guard lock(sched_mu_);
      workers_.erase(std::find(workers_.begin(), workers_.end(), worker));
      --live_workers_;
      // The written-off worker held the tenant: hand it, with the event
      // first in line again, to the others.
      const std::string tenant = job->tenant;
      tenants_.at(tenant).jobs.push_front(std::move(job));
      ready_.push_front(tenant);
      StartWorker();
      sched_cv_.notify_one();
    }
  }
}

store::EventCommit EventPipeline::BuildCommit(const std::string& tenant, v1::Event&& event_in,
                                              engine::CycleResult& result,
                                              actions::UnitOfWork& work) {
  store::EventCommit commit;
  commit.tenant = tenant;
  commit.event = std::move(event_in);
  const v1::Event& event = commit.event;
  commit.ticket = std::move(result.ticket);
  const int64_t now = NowMicros();
  // Event and ticket JSON for deferred actions, made once and only when one
  // fired: the ticket after the cycle, so that an e-mail sees the final
  // priority and assignee.
  std::string event_json;
  std::string ticket_json;
  if (!result.deferred_actions.empty()) {
    event_json = actions::EventToJson(event).dump();
    ticket_json = actions::TicketJsonForPlugins(commit.ticket, tenant, services_).dump();
  }

  v1::PublishEventResponse& response = commit.response;
  response.set_event_id(event.id());
  response.set_trace_id(event.trace_id());
  for (v1::FiredRule& fired : result.fired_rules) {
    commit.fired_rule_ids.push_back(fired.rule_id());
    for (const v1::ActionResult& action : fired.actions()) {
      store::ExecutionRow x;
      x.id = NewExecutionId(now);
      x.tenant = tenant;
      x.event_id = event.id();
      x.ticket_id = event.ticket().id();
      x.rule_id = fired.rule_id();
      x.action_index = action.index();
      x.action_type = action.type();
      x.operation_id = actions::OperationId(tenant, event.id(), fired.rule_id(), action.index());
      x.created_us = now;
      x.trace_id = event.trace_id();
      if (action.status() == v1::ACTION_STATUS_QUEUED) {
        x.mode = v1::ACTION_MODE_DEFERRED;
        x.status = v1::EXECUTION_STATUS_QUEUED;
        x.next_attempt_us = now;
        x.ticket_json = ticket_json;
        x.event_json = event_json;
        response.add_deferred_execution_ids(x.id);
      } else {
        x.mode = v1::ACTION_MODE_INLINE;
        x.status = action.status() == v1::ACTION_STATUS_SUCCEEDED ? v1::EXECUTION_STATUS_SUCCEEDED
                                                                  : v1::EXECUTION_STATUS_FAILED;
        x.error = action.status() == v1::ACTION_STATUS_SUCCEEDED ? "" : action.message();
        x.attempts = 1;  // its one attempt is the execution row itself
        if (action.has_output()) x.output_json = actions::ValueToJson(action.output()).dump();
        if (action.has_ticket_patch()) x.patch = action.ticket_patch().SerializeAsString();
      }
      commit.executions.push_back(std::move(x));
    }
    *response.add_fired_rules() = std::move(fired);
  }
  // Params of deferred actions, from the rules that fired.
  for (const engine::DeferredAction& d : result.deferred_actions) {
    for (auto& x : commit.executions) {
      if (x.mode == v1::ACTION_MODE_DEFERRED && x.rule_id == d.rule_id &&
          x.action_index == d.action_index) {
        x.params_json = actions::StructToJson(d.params).dump();
      }
    }
  }
  *response.mutable_ticket_patch() = std::move(result.patch);

  for (const auto& [key, value] : work.state_writes()) commit.state_writes.push_back({key, value});
  if (!work.timer_changes().empty()) {
    if (event.causation_ids_size() >= kMaxCausationDepth) {
      ++dropped_by_causation_;
      if (options_.metrics != nullptr) options_.metrics->EventDroppedByCausation();
      spdlog::warn(
          "tenant {} event {}: causation chain of {} events reached the limit of {}; the {} "
          "timer changes its actions made are dropped",
          tenant, event.id(), event.causation_ids_size(), kMaxCausationDepth,
          work.timer_changes().size());
    } else {
      std::vector<std::string> causation(event.causation_ids().begin(),
                                         event.causation_ids().end());
      causation.push_back(event.id());
      for (const auto& change : work.timer_changes()) {
        store::TimerRow t;
        t.tenant = tenant;
        t.plugin = change.plugin;
        t.key = change.key;
        t.ticket_id = change.ticket_id;
        t.due_us = change.due_unix_micros;
        t.event_type = change.event_type;
        t.payload_json = change.payload_json;
        t.causation_ids = causation;
        t.trace_id = event.trace_id();
        t.cancel = change.cancel;
        commit.timers.push_back(std::move(t));
      }
    }
  }
  return commit;
}

std::shared_future<PublishResult> EventPipeline::Start(const std::string& tenant, v1::Event event,
                                                       std::optional<Internal> internal,
                                                       std::string trace_id) {
  auto promise = std::make_shared<std::promise<PublishResult>>();
  std::shared_future<PublishResult> future = promise->get_future().share();
  StartAsync(
      tenant, std::move(event),
      [promise](PublishResult result) { promise->set_value(std::move(result)); },
      std::move(internal), std::move(trace_id));
  return future;
}

void EventPipeline::StartAsync(const std::string& tenant, v1::Event event, Done done,
                               std::optional<Internal> internal, std::string trace_id) {
  using observability::EventOutcome;
  observability::EventSource source = observability::EventSource::kApi;
  if (internal) {
    source = internal->automation ? observability::EventSource::kAutomation
                                  : observability::EventSource::kTimer;
  }
  observability::Metrics* metrics = options_.metrics;
  auto count = [metrics, source](EventOutcome outcome) {
    if (metrics != nullptr) metrics->EventEvaluated(source, outcome);
  };
  // trace_id is output only: what a client sent is ignored (and not
  // counted against the size limit).
  event.clear_trace_id();
  Violations violations;
  engine::ValidateEvent(event, "event.", rules_->limits().max_event_bytes, &violations);
  if (!violations.empty()) {
    count(EventOutcome::kRejected);
    return done(violations.ToStatus("invalid event"));
  }
  if (!event.has_occurred_at()) *event.mutable_occurred_at() = TimeUtil::GetCurrentTime();
  event.set_trace_id(std::move(trace_id));
  observability::ScopedTraceId trace(event.trace_id());

  // Committed longer ago than the recent ones kept in memory? Only ids the
  // filter may have seen are looked up, here on the caller's thread rather
  // than on a cycle worker: the read may wait for a commit in progress.
  if (committed_ids_.MightContain(tenant, event.id())) {
    auto stored = store_->FindEvent(tenant, event.id());
    if (!stored.ok()) {
      count(EventOutcome::kFailed);
      return done(stored.status());
    }
    if (stored->has_value()) {
      count(EventOutcome::kDuplicate);
      return done(AsDuplicate(std::move(**stored)));
    }
  }
  if (source == observability::EventSource::kApi) {
    if (inflight_events_.fetch_add(1, std::memory_order_relaxed) >= options_.max_inflight_events) {
      inflight_events_.fetch_sub(1, std::memory_order_relaxed);
      count(EventOutcome::kOverloaded);
      return done(WithReason(
          absl::UnavailableError(
              StrCat("the server holds ", options_.max_inflight_events,
                     " published events not yet committed (max_inflight_events); this one was not "
                     "accepted: publish it again after a backoff")),
          "OVERLOADED"));
    }
    done = [this, done = std::move(done)](PublishResult result) {
      inflight_events_.fetch_sub(1, std::memory_order_relaxed);
      done(std::move(result));
    };
  }
  auto job = std::make_shared<Job>();
  job->tenant = tenant;
  job->event = std::move(event);
  job->done = std::move(done);
  job->internal = std::move(internal);
  job->source = source;
  Enqueue(std::move(job));
}

bool EventPipeline::RunJob(Worker& worker, const std::shared_ptr<Job>& job) {
  using observability::EventOutcome;
  observability::Metrics* metrics = options_.metrics;
  const observability::EventSource source = job->source;
  auto count = [metrics, source](EventOutcome outcome) {
    if (metrics != nullptr) metrics->EventEvaluated(source, outcome);
  };
  const std::string& tenant = job->tenant;
  const v1::Event& event = job->event;
  observability::ScopedTraceId trace(event.trace_id());
  const FlightKey key(tenant, event.id());
  // Another request with the same id ran before this one, and is being
  // committed or was a moment ago: its result answers this one too.
  {
    std::unique_lock lock(inflight_mu_);
    auto it = inflight_.find(key);
    if (it != inflight_.end()) {
      count(EventOutcome::kDuplicate);
      Flight& flight = *it->second;
      if (!flight.done) {
        flight.waiters.push_back(std::move(job->done));
        return true;
      }
      PublishResult result = flight.result;
      lock.unlock();
      job->done(AsDuplicate(std::move(result)));
      return true;
    }
  }

  // This run's own copy: the watchdog adds to the job's once it has written
  // this worker off, while this thread may still be in the cycle.
  std::map<std::pair<std::string, int>, std::string> failed_actions;
  {
    std::lock_guard lock(worker.mu);
    worker.job = job;
    failed_actions = job->failed_actions;
  }
  auto rule_set = rules_->Snapshot(tenant);
  actions::UnitOfWork work(tenant, state_, /*dry_run=*/false);
  engine::CycleOptions options;
  options.tenant = tenant;
  options.work = &work;
  if (!failed_actions.empty()) options.failed_actions = &failed_actions;
  std::optional<Internal>& internal = job->internal;
  if (internal && internal->automation) options.skip_rule_ids = &internal->latched_rule_ids;
  const std::shared_ptr<const engine::TriggerCycle> cycle = cycle_;
  engine::CycleResult result = cycle->Run(*rule_set, event, options);
  {
    std::lock_guard lock(worker.mu);
    if (worker.abandoned) return false;
    worker.job.reset();
  }
  Done done = std::move(job->done);
  // The job is done with its event (the watchdog no longer runs it again).
  store::EventCommit commit = BuildCommit(tenant, std::move(job->event), result, work);
  if (internal) {
    commit.internal = true;
    commit.fired_timer = std::move(internal->fired_timer);
    if (internal->automation) {
      std::vector<std::string> latched = internal->latched_rule_ids;
      for (const auto& id : commit.fired_rule_ids) latched.push_back(id);
      if (commit.fired_rule_ids.empty() && latched == internal->previous_latched) {
        // A tick that changes nothing is not stored.
        count(EventOutcome::kUnchanged);
        done(std::move(commit.response));
        return true;
      }
      commit.latched_rule_ids = std::move(latched);
    }
  }
  const bool queued_deferred = !commit.response.deferred_execution_ids().empty();

  // Later cycles of this tenant see this event's state writes at once.
  if (!commit.state_writes.empty()) {
    std::map<std::pair<std::string, std::string>, std::optional<std::string>> writes(
        commit.state_writes.begin(), commit.state_writes.end());
    state_->Publish(tenant, writes);
  }

  auto flight = std::make_shared<Flight>();
  {
    std::lock_guard lock(inflight_mu_);
    inflight_[key] = flight;
  }
  {
    std::lock_guard lock(commits_mu_);
    ++pending_commits_;
  }
  committer_->Submit(
      std::move(commit), [this, flight, key, queued_deferred, count,
                          done = std::move(done)](store::CommitOutcome outcome) mutable {
        if (outcome.status.ok() && !outcome.duplicate && options_.metrics != nullptr) {
          CountFired(key.first, outcome.response);  // before the response moves on
        }
        PublishResult result = outcome.status.ok() ? PublishResult(std::move(outcome.response))
                                                   : PublishResult(outcome.status);
        if (!outcome.status.ok() || outcome.duplicate) {
          // Failed: nothing of this cycle is durable. Duplicate: the id was
          // committed before (after the lookup above) and the store kept the
          // first event and its response. Either way this cycle's state
          // writes, already in the cache, are not durable.
          state_->Invalidate(key.first);
          count(outcome.status.ok() ? EventOutcome::kDuplicate : EventOutcome::kFailed);
        } else {
          count(EventOutcome::kCommitted);
          if (queued_deferred && options_.on_deferred_queued) options_.on_deferred_queued();
        }
        std::vector<Done> waiters;
        {
          std::lock_guard lock(inflight_mu_);
          waiters = std::move(flight->waiters);
          if (!result.ok()) {
            inflight_.erase(key);  // a retry may run it again
          } else {
            // Kept for a while: a duplicate arriving just after the commit
            // gets this result instead of running the cycle again.
            flight->done = true;
            flight->result = result;
            recent_.push_back(key);
            if (recent_.size() > kRecentEvents) {
              inflight_.erase(recent_.front());
              recent_.pop_front();
            }
          }
        }
        for (Done& waiter : waiters) waiter(AsDuplicate(result));
        done(std::move(result));
        // Last: the destructor may run as soon as this is released.
        std::lock_guard lock(commits_mu_);
        if (--pending_commits_ == 0) commits_cv_.notify_all();
      });
  return true;
}

}  // namespace triggerfish::server::events
