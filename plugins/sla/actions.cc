#include "actions.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "clock.h"

namespace triggerfish::plugins::sla {
namespace {

using std::chrono::microseconds;

// Timer and state keys are at most 256 bytes; the longest suffix is
// "/first_reply_time/breached" after "sla/".
constexpr size_t kMaxTicketIdSize = 200;

constexpr std::string_view kWarningEvent = "sla.warning";
constexpr std::string_view kBreachedEvent = "sla.breached";

// The host's clock, to the second.
Calendar::Instant Now(const sdk::Context& ctx) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<microseconds>(microseconds(ctx.NowUnixMicros())));
}

int64_t UnixMicros(Calendar::Instant instant) {
  return std::chrono::duration_cast<microseconds>(instant.time_since_epoch()).count();
}

// The ticket's string member `field`, or "".
std::string StringField(const sdk::Json& ticket, const char* field) {
  auto it = ticket.find(field);
  return it != ticket.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// params.metrics, or every metric.
std::vector<std::string> RequestedMetrics(const sdk::Json& params, bool* explicit_list) {
  std::vector<std::string> metrics;
  auto it = params.find("metrics");
  *explicit_list = it != params.end();
  if (*explicit_list) {
    for (const sdk::Json& metric : *it) metrics.push_back(metric.get<std::string>());
  } else {
    metrics.assign(kMetrics.begin(), kMetrics.end());
  }
  return metrics;
}

// Collects the output of one action over several clocks.
class Report {
 public:
  void Changed(const Clock& clock, std::string_view change) {
    sdk::Json json = clock.ToJson();
    json["change"] = change;
    if (clock.stopped) json["met"] = !clock.breached;
    clocks_.push_back(std::move(json));
    if (change != "unchanged") changed_.push_back(clock.metric + " " + std::string(change));
  }
  void Skipped(std::string_view metric, std::string reason) {
    skipped_.push_back({{"metric", metric}, {"reason", std::move(reason)}});
  }
  sdk::Result Finish() && {
    std::string message;
    for (const std::string& change : changed_) {
      message += (message.empty() ? "" : ", ") + change;
    }
    if (message.empty()) message = "no clock changed";
    return sdk::Result::Ok()
        .WithOutput({{"clocks", std::move(clocks_)}, {"skipped", std::move(skipped_)}})
        .WithMessage(std::move(message));
  }

 private:
  sdk::Json clocks_ = sdk::Json::array();
  sdk::Json skipped_ = sdk::Json::array();
  std::vector<std::string> changed_;
};

// Reads the ticket's id, or explains why it cannot be used.
std::optional<sdk::Result> CheckTicketId(const std::string& ticket_id) {
  if (ticket_id.empty()) return sdk::Result::Permanent("the ticket has no id");
  if (ticket_id.size() > kMaxTicketIdSize) {
    return sdk::Result::Permanent("ticket id longer than " + std::to_string(kMaxTicketIdSize) +
                                  " bytes");
  }
  return std::nullopt;
}

std::optional<Clock> LoadClock(sdk::Context& ctx, const std::string& ticket_id,
                               std::string_view metric) {
  std::optional<sdk::Json> json = ctx.GetState(ClockKey(ticket_id, metric));
  if (!json) return std::nullopt;
  return Clock::FromJson(*json);
}

// Stores the clock and makes its timers match it: a running clock that has
// not breached has a breach timer at its due time and, if its policy warns
// and the warning point is still ahead, a warning timer; any other clock has
// none.
void SaveClock(sdk::Context& ctx, const std::string& ticket_id, const Clock& clock,
               const Policy& policy) {
  ctx.PutState(ClockKey(ticket_id, clock.metric), clock.ToJson());
  const std::string warning_key = WarningTimerKey(ticket_id, clock.metric);
  const std::string breach_key = BreachTimerKey(ticket_id, clock.metric);
  if (!clock.running() || clock.stopped || clock.breached || !clock.due_at) {
    ctx.CancelTimer(warning_key);
    ctx.CancelTimer(breach_key);
    return;
  }
  const sdk::Json payload = {{"metric", clock.metric},
                             {"policy", clock.policy},
                             {"target_minutes", clock.target.count()},
                             {"due_at", FormatInstant(*clock.due_at)},
                             {"ticket_id", ticket_id}};
  ctx.ScheduleTimer(breach_key, UnixMicros(*clock.due_at), kBreachedEvent, payload);
  std::optional<Calendar::Duration> warning_point = policy.WarningPoint(clock.target);
  if (warning_point && clock.elapsed < *warning_point) {
    Calendar::Instant warn_at =
        policy.calendar().AddBusinessTime(*clock.running_since, *warning_point - clock.elapsed);
    ctx.ScheduleTimer(warning_key, UnixMicros(warn_at), kWarningEvent, payload);
  } else {
    ctx.CancelTimer(warning_key);
  }
}

}  // namespace

sdk::Result Start::Execute(sdk::Context& ctx, const sdk::Json& params,
                           const sdk::Json& ticket) const {
  const std::string ticket_id = StringField(ticket, "id");
  if (auto error = CheckTicketId(ticket_id)) return std::move(*error);
  const std::string& policy_name = params.at("policy").get_ref<const std::string&>();
  const Policy* policy = config_.FindPolicy(policy_name);
  if (policy == nullptr) return sdk::Result::Permanent("unknown SLA policy '" + policy_name + "'");

  const std::string priority = StringField(ticket, "priority");
  const Calendar::Instant now = Now(ctx);
  bool explicit_list = false;
  Report report;
  for (const std::string& metric : RequestedMetrics(params, &explicit_list)) {
    if (priority.empty()) {
      report.Skipped(metric, "the ticket has no priority");
      continue;
    }
    std::optional<std::chrono::minutes> target = policy->Target(priority, metric);
    if (!target) {
      report.Skipped(metric, "policy '" + policy_name + "' has no " + metric +
                                 " target for priority " + priority);
      continue;
    }
    std::optional<Clock> clock = LoadClock(ctx, ticket_id, metric);
    if (!clock || clock->stopped) {
      Clock started = StartClock(*policy, metric, priority, *target, now);
      SaveClock(ctx, ticket_id, started, *policy);
      report.Changed(started, "started");
    } else if (clock->policy == policy_name && clock->priority == priority &&
               clock->target == *target) {
      // Starting a started clock again is a no-op; its timers stay as they are.
      const bool was_breached = clock->breached;
      ObserveClock(*clock, now);
      if (clock->breached != was_breached) {
        ctx.PutState(ClockKey(ticket_id, metric), clock->ToJson());
      }
      report.Changed(*clock, "unchanged");
    } else {
      // A policy that is no longer configured: count its time so far in the
      // new policy's calendar.
      const Policy* old_policy = config_.FindPolicy(clock->policy);
      RetargetClock(*clock, old_policy != nullptr ? *old_policy : *policy, *policy, priority,
                    *target, now);
      SaveClock(ctx, ticket_id, *clock, *policy);
      report.Changed(*clock, "retargeted");
    }
  }
  return std::move(report).Finish();
}

sdk::Result ChangeClocks(sdk::Context& ctx, const Config& config, const sdk::Json& params,
                         const sdk::Json& ticket, Transition transition) {
  const std::string ticket_id = StringField(ticket, "id");
  if (auto error = CheckTicketId(ticket_id)) return std::move(*error);
  const Calendar::Instant now = Now(ctx);
  bool explicit_list = false;
  Report report;
  for (const std::string& metric : RequestedMetrics(params, &explicit_list)) {
    std::optional<Clock> clock = LoadClock(ctx, ticket_id, metric);
    if (!clock) {
      // Without an explicit list, only the clocks the ticket has matter.
      if (explicit_list) report.Skipped(metric, "no clock");
      continue;
    }
    const Policy* policy = config.FindPolicy(clock->policy);
    if (policy == nullptr) {
      report.Skipped(metric, "policy '" + clock->policy + "' is no longer configured");
      continue;
    }
    std::string_view change;
    switch (transition) {
      case Transition::kPause:
        if (clock->stopped) {
          report.Skipped(metric, "stopped");
          continue;
        }
        if (clock->paused) {
          report.Skipped(metric, "already paused");
          continue;
        }
        PauseClock(*clock, *policy, now);
        change = "paused";
        break;
      case Transition::kResume:
        if (clock->stopped) {
          report.Skipped(metric, "stopped");
          continue;
        }
        if (!clock->paused) {
          report.Skipped(metric, "not paused");
          continue;
        }
        ResumeClock(*clock, *policy, now);
        change = "resumed";
        break;
      case Transition::kStop:
        if (clock->stopped) {
          report.Skipped(metric, "already stopped");
          continue;
        }
        StopClock(*clock, *policy, now);
        change = "stopped";
        break;
    }
    SaveClock(ctx, ticket_id, *clock, *policy);
    report.Changed(*clock, change);
  }
  return std::move(report).Finish();
}

}  // namespace triggerfish::plugins::sla
