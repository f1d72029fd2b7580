#include "clock.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace triggerfish::plugins::sla {
namespace {

using std::chrono::minutes;

sdk::Json OptionalInstant(const std::optional<Calendar::Instant>& instant) {
  return instant ? sdk::Json(FormatInstant(*instant)) : sdk::Json(nullptr);
}

std::optional<Calendar::Instant> ParseOptionalInstant(const sdk::Json& json) {
  if (json.is_null()) return std::nullopt;
  return ParseInstant(json.get<std::string>());
}

// Folds the current run of a running clock into elapsed, restarting the run
// at now.
void Fold(Clock& clock, const Calendar& calendar, Calendar::Instant now) {
  if (!clock.running()) return;
  clock.elapsed += calendar.BusinessTimeBetween(*clock.running_since, now);
  clock.running_since = now;
}

// Schedules the due time of a clock that runs from now.
void RunFrom(Clock& clock, const Calendar& calendar, Calendar::Instant now) {
  clock.running_since = now;
  const Calendar::Duration remaining = clock.target - clock.elapsed;
  if (remaining > Calendar::Duration::zero()) {
    clock.due_at = calendar.AddBusinessTime(now, remaining);
  } else {
    clock.due_at = now;
    clock.breached = true;
  }
}

}  // namespace

std::string ClockKey(std::string_view ticket_id, std::string_view metric) {
  return "clock/" + std::string(ticket_id) + "/" + std::string(metric);
}

std::string WarningTimerKey(std::string_view ticket_id, std::string_view metric) {
  return "sla/" + std::string(ticket_id) + "/" + std::string(metric) + "/warning";
}

std::string BreachTimerKey(std::string_view ticket_id, std::string_view metric) {
  return "sla/" + std::string(ticket_id) + "/" + std::string(metric) + "/breached";
}

std::string FormatInstant(Calendar::Instant instant) { return date::format("%FT%TZ", instant); }

Calendar::Instant ParseInstant(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  int used = 0;
  const bool parsed = std::sscanf(text.c_str(), "%4d-%2u-%2uT%2d:%2d:%2dZ%n", &year, &month, &day,
                                  &hour, &minute, &second, &used) == 6 &&
                      static_cast<size_t>(used) == text.size();
  const date::year_month_day date{date::year(year), date::month(month), date::day(day)};
  if (!parsed || !date.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 59) {
    throw std::invalid_argument("'" + text + "' is not an RFC 3339 UTC time");
  }
  return date::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

sdk::Json Clock::ToJson() const {
  // Whole minutes as integers, anything else with its fraction.
  sdk::Json elapsed_minutes = elapsed.count() % 60 == 0 ? sdk::Json(elapsed.count() / 60)
                                                        : sdk::Json(elapsed.count() / 60.0);
  return {{"policy", policy},
          {"metric", metric},
          {"priority", priority},
          {"target_minutes", target.count()},
          {"calendar", calendar.empty() ? sdk::Json(nullptr) : sdk::Json(calendar)},
          {"started_at", FormatInstant(started_at)},
          {"elapsed_minutes", std::move(elapsed_minutes)},
          {"running_since", OptionalInstant(running_since)},
          {"paused", paused},
          {"stopped", stopped},
          {"due_at", OptionalInstant(due_at)},
          {"breached", breached}};
}

Clock Clock::FromJson(const sdk::Json& json) {
  try {
    Clock clock;
    clock.policy = json.at("policy").get<std::string>();
    clock.metric = json.at("metric").get<std::string>();
    clock.priority = json.at("priority").get<std::string>();
    clock.target = minutes(json.at("target_minutes").get<int64_t>());
    const sdk::Json& calendar = json.at("calendar");
    clock.calendar = calendar.is_null() ? std::string() : calendar.get<std::string>();
    clock.started_at = ParseInstant(json.at("started_at").get<std::string>());
    clock.elapsed = Calendar::Duration(std::llround(json.at("elapsed_minutes").get<double>() * 60));
    clock.running_since = ParseOptionalInstant(json.at("running_since"));
    clock.paused = json.at("paused").get<bool>();
    clock.stopped = json.at("stopped").get<bool>();
    clock.due_at = ParseOptionalInstant(json.at("due_at"));
    clock.breached = json.at("breached").get<bool>();
    return clock;
  } catch (const sdk::Json::exception& e) {
    throw std::invalid_argument(std::string("malformed clock record: ") + e.what());
  }
}

Clock StartClock(const Policy& policy, std::string_view metric, std::string_view priority,
                 minutes target, Calendar::Instant now) {
  Clock clock;
  clock.policy = policy.name();
  clock.metric = metric;
  clock.priority = priority;
  clock.target = target;
  clock.calendar = policy.calendar_name();
  clock.started_at = now;
  RunFrom(clock, policy.calendar(), now);
  return clock;
}

void RetargetClock(Clock& clock, const Policy& old_policy, const Policy& policy,
                   std::string_view priority, minutes target, Calendar::Instant now) {
  Fold(clock, old_policy.calendar(), now);
  clock.policy = policy.name();
  clock.priority = priority;
  clock.target = target;
  clock.calendar = policy.calendar_name();
  if (clock.running()) {
    RunFrom(clock, policy.calendar(), now);
  } else if (clock.elapsed >= clock.target) {
    clock.breached = true;
  }
}

void PauseClock(Clock& clock, const Policy& policy, Calendar::Instant now) {
  if (!clock.running()) return;
  Fold(clock, policy.calendar(), now);
  clock.running_since.reset();
  clock.paused = true;
  clock.due_at.reset();
  if (clock.elapsed >= clock.target) clock.breached = true;
}

void ResumeClock(Clock& clock, const Policy& policy, Calendar::Instant now) {
  if (!clock.paused) return;
  clock.paused = false;
  RunFrom(clock, policy.calendar(), now);
}

void StopClock(Clock& clock, const Policy& policy, Calendar::Instant now) {
  if (clock.stopped) return;
  Fold(clock, policy.calendar(), now);
  clock.running_since.reset();
  clock.paused = false;
  clock.stopped = true;
  if (clock.elapsed >= clock.target) clock.breached = true;
}

void ObserveClock(Clock& clock, Calendar::Instant now) {
  if (clock.running() && clock.due_at && now >= *clock.due_at) clock.breached = true;
}

}  // namespace triggerfish::plugins::sla
