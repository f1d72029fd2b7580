// One SLA clock of a ticket (e.g. the first reply time of ticket 42): its
// durable record and how it moves through start, pause, resume and stop.
//
// Stored in plugin state under ClockKey(ticket, metric) as
//   {"policy": "standard", "metric": "first_reply_time", "priority": "high",
//    "target_minutes": 240, "calendar": "berlin" | null,
//    "started_at": "2026-06-05T13:00:00Z",
//    "elapsed_minutes": 60,          // business minutes used before running_since
//    "running_since": "..." | null,  // null while paused or stopped
//    "paused": false, "stopped": false,
//    "due_at": "..." | null,         // null while paused
//    "breached": false}
// Times are RFC 3339 in UTC, to the second; elapsed_minutes may carry a
// fraction of a minute.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

#include "calendar.h"
#include "config.h"

namespace triggerfish::plugins::sla {

// State key of a ticket's clock: "clock/<ticket_id>/<metric>".
std::string ClockKey(std::string_view ticket_id, std::string_view metric);
// Timer keys: "sla/<ticket_id>/<metric>/warning" and ".../breached".
std::string WarningTimerKey(std::string_view ticket_id, std::string_view metric);
std::string BreachTimerKey(std::string_view ticket_id, std::string_view metric);

// RFC 3339 in UTC ("2026-06-05T13:00:00Z") and back; Parse throws
// std::invalid_argument on anything else.
std::string FormatInstant(Calendar::Instant instant);
Calendar::Instant ParseInstant(const std::string& text);

struct Clock {
  std::string policy;
  std::string metric;
  std::string priority;
  std::chrono::minutes target{0};
  std::string calendar;  // "" for calendar time
  Calendar::Instant started_at;
  Calendar::Duration elapsed{0};  // business time used before running_since
  std::optional<Calendar::Instant> running_since;
  bool paused = false;
  bool stopped = false;
  std::optional<Calendar::Instant> due_at;
  bool breached = false;

  bool running() const { return running_since.has_value(); }

  sdk::Json ToJson() const;
  // Throws std::invalid_argument if `json` is not a clock record.
  static Clock FromJson(const sdk::Json& json);
};

// A running clock of `metric` under `policy` at `priority` that starts at
// `now` with `target`.
Clock StartClock(const Policy& policy, std::string_view metric, std::string_view priority,
                 std::chrono::minutes target, Calendar::Instant now);

// Each transition takes the clock's policy (for its calendar) and the
// current host time, and marks the clock breached once its business time
// reaches the target. Breached stays set.

// Moves the clock to `policy`/`priority`/`target`, keeping the business
// time used so far (counted in the old calendar up to now).
void RetargetClock(Clock& clock, const Policy& old_policy, const Policy& policy,
                   std::string_view priority, std::chrono::minutes target, Calendar::Instant now);
// Running -> paused: folds the current run into elapsed.
void PauseClock(Clock& clock, const Policy& policy, Calendar::Instant now);
// Paused -> running from now, due after the remaining business time (now
// if none remains).
void ResumeClock(Clock& clock, const Policy& policy, Calendar::Instant now);
// Running or paused -> stopped (met unless breached).
void StopClock(Clock& clock, const Policy& policy, Calendar::Instant now);
// Marks a running clock breached if now has reached its due time.
void ObserveClock(Clock& clock, Calendar::Instant now);

}  // namespace triggerfish::plugins::sla
