#include "server/jobs/outbox_worker.h"

#include <algorithm>
#include <random>

#include "server/actions/host_api.h"
#include "server/common/strings.h"
#include "server/common/thread_name.h"
#include "server/observability/metrics.h"
#include "server/observability/trace_context.h"
#include "spdlog/spdlog.h"
#include "triggerfish/v1/execution_service.pb.h"

namespace triggerfish::server::jobs {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

OutboxWorkers::OutboxWorkers(store::Store* store, const plugins::PluginHost* host,
                             const actions::HostServices* services, OutboxOptions options)
    : store_(store),
      host_(host),
      services_(services),
      options_(options),
      calls_(std::make_unique<plugins::PluginCallPool>("tf-deferred", options.threads)) {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(); });
}

OutboxWorkers::~OutboxWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void OutboxWorkers::Notify() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

std::chrono::milliseconds OutboxWorkers::Backoff(const OutboxOptions& options, int next_attempt) {
  const int exponent = std::clamp(next_attempt - 2, 0, 30);
  const int64_t ms = std::min<int64_t>(options.max_backoff.count(),
                                       options.base_backoff.count() * (int64_t{1} << exponent));
  return std::chrono::milliseconds(ms);
}

void OutboxWorkers::Loop() {
  NameThisThread("tf-outbox");
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    auto claimed = store_->ClaimDeferred(
        NowMicros(), std::chrono::duration_cast<std::chrono::microseconds>(options_.lease).count(),
        /*limit=*/1);
    if (!claimed.ok()) {
      spdlog::error("outbox: cannot claim executions: {}", std::string(claimed.status().message()));
    } else if (!claimed->empty()) {
      RunOne(claimed->front());
      continue;  // there may be more
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || wakeups_ != seen; });
  }
}

void OutboxWorkers::RunOne(const store::ExecutionRow& row) {
  // This attempt's log lines (and the plugin's, below) belong to the trace
  // of the event that queued the action.
  observability::ScopedTraceId trace(row.trace_id);
  const int number = row.attempts + 1;
  if (number - row.attempt_base > options_.max_attempts) {
    // Only attempts that never finished (the process died during them, e.g.
    // because this very action crashed it) can exhaust the budget without
    // making the execution DEAD: do not call the plugin again.
    GiveUpInterrupted(row);
    return;
  }
  store::AttemptRow attempt;
  attempt.number = number;
  attempt.start_us = NowMicros();
  if (auto s = store_->BeginAttempt(row.id, number, attempt.start_us); !s.ok()) {
    // Without the attempt on record a crash could repeat forever; the lease
    // will expire and the execution will be claimed again.
    spdlog::error("execution {}: cannot record the start of attempt {}: {}", row.id, number,
                  std::string(s.message()));
    return;
  }

  // The plugin runs on a worker of the call pool so that a hung action
  // cannot take this worker with it; the call keeps what it needs alive.
  struct Call {
    store::ExecutionRow row;
    tf_exec_ctx ctx;
    plugins::ExecuteOutcome outcome;
  };
  auto call = std::make_shared<Call>();
  call->row = row;
  call->ctx.work = nullptr;  // deferred actions' state goes straight to the store
  call->ctx.services = services_;
  call->ctx.tenant = row.tenant;
  call->ctx.plugin = row.action_type.substr(0, row.action_type.find('.'));
  call->ctx.ticket_id = row.ticket_id;
  const plugins::PluginHost* host = host_;
  const auto timeout = options_.action_timeout;
  const bool returned = calls_->Run(
      [call, host, timeout, number] {
        observability::ScopedTraceId trace(call->row.trace_id);
        plugins::ExecuteRequest request;
        request.ctx = &call->ctx;
        request.params_json = call->row.params_json;
        request.ticket_json = call->row.ticket_json;
        request.event_json = call->row.event_json;
        request.operation_id = call->row.operation_id;
        request.attempt = static_cast<uint32_t>(number);
        request.timeout = timeout;
        call->outcome = host->Execute(call->row.action_type, request);
      },
      timeout);

  plugins::ExecuteOutcome outcome;
  if (returned) {
    outcome = std::move(call->outcome);
  } else {
    outcome.code = plugins::ResultCode::kRetryable;
    outcome.error = StrCat("timed out after ", timeout.count(), " ms");
    if (options_.metrics != nullptr) {
      options_.metrics->ActionAbandoned(row.action_type, /*deferred=*/true);
    }
  }
  attempt.end_us = NowMicros();

  observability::ActionStatus counted = observability::ActionStatus::kSucceeded;
  int status = v1::EXECUTION_STATUS_SUCCEEDED;
  int64_t next_attempt_us = 0;
  std::string output;
  if (outcome.code == plugins::ResultCode::kOk) {
    attempt.status = v1::EXECUTION_STATUS_SUCCEEDED;
    if (outcome.result.contains("output")) output = outcome.result["output"].dump();
  } else {
    attempt.error = StrCat(plugins::ToString(outcome.code), ": ", outcome.error);
    const bool budget_left = number - row.attempt_base < options_.max_attempts;
    if (outcome.code == plugins::ResultCode::kRetryable && budget_left) {
      attempt.status = v1::EXECUTION_STATUS_FAILED;
      status = v1::EXECUTION_STATUS_QUEUED;
      counted = observability::ActionStatus::kRetrying;
      static thread_local std::mt19937_64 rng{std::random_device{}()};
      const int64_t cap_us = Backoff(options_, number + 1).count() * 1000;
      // "Equal jitter": anywhere in [cap/2, cap], so that retries of many
      // actions spread out but none comes much earlier than the backoff.
      next_attempt_us =
          attempt.end_us + cap_us / 2 + std::uniform_int_distribution<int64_t>(0, cap_us / 2)(rng);
    } else {
      attempt.status = v1::EXECUTION_STATUS_DEAD;
      status = v1::EXECUTION_STATUS_DEAD;
      counted = observability::ActionStatus::kDead;
      spdlog::warn("execution {} ({} of rule {}) is dead after attempt {}: {}", row.id,
                   row.action_type, row.rule_id, number, attempt.error);
    }
  }
  if (auto s = store_->FinishAttempt(row.id, attempt, status, next_attempt_us, output); !s.ok()) {
    // The lease will expire and the execution will be attempted again.
    spdlog::error("execution {}: cannot record attempt {}: {}", row.id, number,
                  std::string(s.message()));
  }
  // Counted once recorded: a scrape that sees the count also sees the
  // outbox without this attempt's lease.
  if (options_.metrics != nullptr) {
    options_.metrics->ActionExecuted(row.action_type, counted);
    options_.metrics->ActionDuration(row.action_type, /*deferred=*/true,
                                     static_cast<double>(attempt.end_us - attempt.start_us) / 1e6);
  }
}

void OutboxWorkers::GiveUpInterrupted(const store::ExecutionRow& row) {
  store::AttemptRow last;
  last.number = row.attempts;
  last.start_us = NowMicros();
  if (auto stored = store_->GetExecution(row.tenant, row.id); stored.ok() && stored->has_value()) {
    for (const auto& a : (*stored)->attempt_rows) {
      if (a.number == row.attempts) last = a;
    }
  }
  last.end_us = std::max(last.end_us, last.start_us);
  last.status = v1::EXECUTION_STATUS_DEAD;
  last.error = StrCat(last.error.empty() ? "interrupted" : last.error, "; no attempts left (",
                      row.attempts - row.attempt_base, " of outbox.max_attempts ",
                      options_.max_attempts, ")");
  spdlog::warn("execution {} ({} of rule {}) is dead: attempt {} never finished: {}", row.id,
               row.action_type, row.rule_id, row.attempts, last.error);
  if (auto s = store_->FinishAttempt(row.id, last, v1::EXECUTION_STATUS_DEAD, 0, ""); !s.ok()) {
    spdlog::error("execution {}: cannot record it dead: {}", row.id, std::string(s.message()));
  }
}

}  // namespace triggerfish::server::jobs
