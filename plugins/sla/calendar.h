// Business-time arithmetic: how much open time lies between two instants, and
// which instant is N minutes of open time after another.
//
// A Calendar is an IANA time zone, weekly opening hours in local time and a
// list of holidays (local dates closed all day). All arithmetic goes through
// the system tz database (Howard Hinnant's date/tz), so it is exact across
// DST changes:
//
//   Calendar::WeeklyHours hours;
//   hours[date::Monday.c_encoding()] = {{9h, 17h}};  // ... up to Friday
//   Calendar berlin = Calendar::Create("Europe/Berlin", hours, {});
//   Calendar::Instant due = berlin.AddBusinessTime(now, std::chrono::minutes(240));
//
// A default-constructed Calendar is calendar time: always open, so business
// time equals elapsed real time. Instants have a resolution of one second.
//
// Thread safety: a Calendar is immutable after construction; all const
// methods may be called concurrently.
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>
#include <date/tz.h>

namespace triggerfish::plugins::sla {

class Calendar {
 public:
  using Instant = std::chrono::sys_seconds;
  using Duration = std::chrono::seconds;

  // One opening interval of a weekday, as offsets from local midnight:
  // [begin, end). end <= begin means the interval crosses midnight and ends
  // on the next day (22h-6h); end may be 24h (midnight at the end of the
  // day). begin is in [0h, 24h).
  struct OpenHours {
    std::chrono::minutes begin;
    std::chrono::minutes end;
  };
  // Opening intervals per weekday, indexed by days since Sunday (0 = Sunday,
  // 1 = Monday, ..., 6 = Saturday), as date::weekday::c_encoding().
  using WeeklyHours = std::array<std::vector<OpenHours>, 7>;

  // Calendar time: always open, business time is real time.
  Calendar() = default;

  // A business-hours calendar. Local times are read in `time_zone` (an IANA
  // name, e.g. "Europe/Berlin"). Intervals may overlap (the union counts
  // once). A holiday closes its local date from 00:00 to 24:00, including
  // the part of an overnight interval that falls on it.
  //
  // Wall-clock times that a DST change skips or repeats: an interval that
  // begins at a skipped time opens when the clock jumps (02:30 on a spring
  // forward day opens at 03:00 new time); one that ends at a skipped time
  // closes then too. An interval that begins at a repeated time opens at its
  // first occurrence, one that ends at a repeated time closes at its last.
  //
  // Throws std::invalid_argument naming the problem if the time zone is
  // unknown, an interval is empty or out of range, or no weekday has any
  // opening hours.
  static Calendar Create(std::string_view time_zone, WeeklyHours hours,
                         std::vector<date::year_month_day> holidays);

  // The instant at which `amount` of open time has passed since `start`:
  // the first instant T with BusinessTimeBetween(start, T) == amount. If
  // start lies in closed time, counting begins when the calendar next
  // opens. amount <= 0 yields start. Throws std::range_error if the calendar
  // does not accumulate that much open time within 20 years (e.g. every
  // open day is a holiday).
  Instant AddBusinessTime(Instant start, Duration amount) const;

  // Open time in [from, to); zero if to <= from.
  Duration BusinessTimeBetween(Instant from, Instant to) const;

  // True for calendar time (the default-constructed Calendar).
  bool always_open() const { return zone_ == nullptr; }
  // The IANA name of the time zone, "UTC" for calendar time.
  std::string time_zone_name() const;

 private:
  // Calls visit(begin, end) for every open interval that ends after `from`,
  // in non-decreasing order of begin, until visit returns false. Intervals
  // of consecutive days may overlap; callers count the union.
  template <typename Visit>
  void ForEachOpenInterval(Instant from, Visit visit) const;

  // Opening intervals that begin on local `day`, in local time, with the
  // parts on holidays removed; appended to `out` in order of begin.
  struct LocalInterval {
    date::local_seconds begin;
    date::local_seconds end;
  };
  void LocalIntervalsOf(date::local_days day, std::vector<LocalInterval>& out) const;
  bool IsHoliday(date::local_days day) const;

  const date::time_zone* zone_ = nullptr;
  WeeklyHours hours_;
  std::vector<date::local_days> holidays_;  // sorted, unique
};

}  // namespace triggerfish::plugins::sla
