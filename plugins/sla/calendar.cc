#include "calendar.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace triggerfish::plugins::sla {
namespace {

using std::chrono::minutes;

constexpr minutes kDay = std::chrono::hours(24);

// How far ahead a search for open time goes before giving up.
constexpr int kMaxSearchDays = 20 * 366;

std::string FormatMinutes(minutes m) {
  char text[8];
  std::snprintf(text, sizeof(text), "%02d:%02d", static_cast<int>(m.count() / 60),
                static_cast<int>(m.count() % 60));
  return text;
}

}  // namespace

Calendar Calendar::Create(std::string_view time_zone, WeeklyHours hours,
                          std::vector<date::year_month_day> holidays) {
  Calendar calendar;
  try {
    calendar.zone_ = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    throw std::invalid_argument("unknown time zone '" + std::string(time_zone) + "'");
  }

  bool any_open = false;
  for (std::vector<OpenHours>& day : hours) {
    for (const OpenHours& h : day) {
      if (h.begin < minutes(0) || h.begin >= kDay || h.end < minutes(0) || h.end > kDay) {
        throw std::invalid_argument("opening hours " + FormatMinutes(h.begin) + "-" +
                                    FormatMinutes(h.end) + " are outside 00:00-24:00");
      }
      if (h.begin == h.end) {
        throw std::invalid_argument("opening hours " + FormatMinutes(h.begin) + "-" +
                                    FormatMinutes(h.end) + " are empty");
      }
      any_open = true;
    }
    std::sort(day.begin(), day.end(),
              [](const OpenHours& a, const OpenHours& b) { return a.begin < b.begin; });
  }
  if (!any_open) throw std::invalid_argument("no opening hours on any day of the week");
  calendar.hours_ = std::move(hours);

  for (const date::year_month_day& day : holidays) {
    if (!day.ok()) throw std::invalid_argument("holiday is not a valid date");
    calendar.holidays_.push_back(date::local_days(day));
  }
  std::sort(calendar.holidays_.begin(), calendar.holidays_.end());
  calendar.holidays_.erase(std::unique(calendar.holidays_.begin(), calendar.holidays_.end()),
                           calendar.holidays_.end());
  return calendar;
}

std::string Calendar::time_zone_name() const {
  return zone_ == nullptr ? std::string("UTC") : std::string(zone_->name());
}

bool Calendar::IsHoliday(date::local_days day) const {
  return std::binary_search(holidays_.begin(), holidays_.end(), day);
}

void Calendar::LocalIntervalsOf(date::local_days day, std::vector<LocalInterval>& out) const {
  const date::local_days next_day = day + date::days(1);
  const bool day_closed = IsHoliday(day);
  const bool next_day_closed = IsHoliday(next_day);
  for (const OpenHours& h : hours_[date::weekday(day).c_encoding()]) {
    date::local_seconds begin = day + h.begin;
    date::local_seconds end = (h.end > h.begin ? day : next_day) + h.end;
    // An interval spans at most two local dates; drop the part on a holiday.
    date::local_seconds midnight = next_day;
    if (day_closed) begin = std::max(begin, midnight);
    if (next_day_closed) end = std::min(end, midnight);
    if (begin < end) out.push_back(LocalInterval{begin, end});
  }
}

template <typename Visit>
void Calendar::ForEachOpenInterval(Instant from, Visit visit) const {
  // Start a day early: an overnight interval of the previous day may still
  // be open at `from`.
  date::local_days day = date::floor<date::days>(zone_->to_local(from)) - date::days(1);
  std::vector<LocalInterval> local;
  for (int i = 0; i < kMaxSearchDays; ++i, day += date::days(1)) {
    local.clear();
    LocalIntervalsOf(day, local);
    for (const LocalInterval& interval : local) {
      // Local times the clock skips map to the instant of the jump; repeated
      // ones open at their first and close at their last occurrence.
      Instant begin = zone_->to_sys(interval.begin, date::choose::earliest);
      Instant end = zone_->to_sys(interval.end, date::choose::latest);
      if (end <= from || end <= begin) continue;
      if (!visit(begin, end)) return;
    }
  }
  throw std::range_error("the calendar has no more open time within 20 years");
}

Calendar::Instant Calendar::AddBusinessTime(Instant start, Duration amount) const {
  if (amount <= Duration::zero()) return start;
  if (always_open()) return start + amount;
  Instant counted_until = start;  // open time before this instant is used up
  Duration remaining = amount;
  Instant due;
  ForEachOpenInterval(start, [&](Instant begin, Instant end) {
    begin = std::max(begin, counted_until);
    if (end <= begin) return true;
    if (remaining <= end - begin) {
      due = begin + remaining;
      return false;
    }
    remaining -= end - begin;
    counted_until = end;
    return true;
  });
  return due;
}

Calendar::Duration Calendar::BusinessTimeBetween(Instant from, Instant to) const {
  if (to <= from) return Duration::zero();
  if (always_open()) return to - from;
  Instant counted_until = from;
  Duration total = Duration::zero();
  ForEachOpenInterval(from, [&](Instant begin, Instant end) {
    if (begin >= to) return false;
    begin = std::max(begin, counted_until);
    end = std::min(end, to);
    if (end > begin) {
      total += end - begin;
      counted_until = end;
    }
    return true;
  });
  return total;
}

}  // namespace triggerfish::plugins::sla
