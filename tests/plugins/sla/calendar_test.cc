// Business-time arithmetic of the sla plugin, with exact expected instants
// worked out by hand from the 2026 DST rules:
//   Europe/Berlin     CET +1 / CEST +2, forward 29 Mar, back 25 Oct
//   America/New_York  EST -5 / EDT -4, forward 8 Mar, back 1 Nov
//   Australia/Sydney  AEST +10 / AEDT +11, back 5 Apr, forward 4 Oct
#include "calendar.h"

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace triggerfish::plugins::sla {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using Hours = Calendar::OpenHours;

// "2026-03-30T08:00Z" -> instant.
Calendar::Instant T(const std::string& text) {
  int y = 0, h = 0, m = 0;
  unsigned mo = 0, d = 0;
  if (std::sscanf(text.c_str(), "%d-%u-%uT%d:%dZ", &y, &mo, &d, &h, &m) != 5) {
    throw std::invalid_argument("bad test instant " + text);
  }
  return date::sys_days(date::year(y) / date::month(mo) / date::day(d)) + hours(h) + minutes(m);
}

std::string S(Calendar::Instant instant) { return date::format("%FT%TZ", instant); }

std::string Due(const Calendar& calendar, const std::string& start, int business_minutes) {
  return S(calendar.AddBusinessTime(T(start), minutes(business_minutes)));
}

int64_t Elapsed(const Calendar& calendar, const std::string& from, const std::string& to) {
  Calendar::Duration d = calendar.BusinessTimeBetween(T(from), T(to));
  EXPECT_EQ(d.count() % 60, 0) << "not whole minutes";
  return d.count() / 60;
}

// The same hours on the given weekdays (0 = Sunday).
Calendar::WeeklyHours On(std::vector<int> days, std::vector<Hours> hours) {
  Calendar::WeeklyHours weekly;
  for (int day : days) weekly[day] = hours;
  return weekly;
}
const std::vector<int> kMonToFri = {1, 2, 3, 4, 5};
const std::vector<int> kEveryDay = {0, 1, 2, 3, 4, 5, 6};

std::vector<date::year_month_day> Days(std::vector<std::string> texts) {
  std::vector<date::year_month_day> days;
  for (const std::string& text : texts)
    days.push_back(date::floor<date::days>(T(text + "T00:00Z")));
  return days;
}

Calendar Berlin9To5(std::vector<date::year_month_day> holidays = {}) {
  return Calendar::Create("Europe/Berlin", On(kMonToFri, {{hours(9), hours(17)}}), holidays);
}

TEST(CalendarTest, CalendarTimeIsPlainMinutes) {
  Calendar always;
  EXPECT_TRUE(always.always_open());
  // Two weeks across the EU spring switch: real time, no DST shift.
  EXPECT_EQ(Due(always, "2026-03-20T12:00Z", 20160), "2026-04-03T12:00:00Z");
  EXPECT_EQ(Elapsed(always, "2026-03-28T23:00Z", "2026-03-29T23:00Z"), 1440);
  EXPECT_EQ(Elapsed(always, "2026-03-29T23:00Z", "2026-03-28T23:00Z"), 0);
}

TEST(CalendarTest, BerlinSpringForwardOverTheWeekend) {
  // Fri 27 Mar 16:00 CET + 60 min to 17:00, then Mon 30 Mar 09:00 CEST + 60.
  EXPECT_EQ(Due(Berlin9To5(), "2026-03-27T15:00Z", 120), "2026-03-30T08:00:00Z");
  EXPECT_EQ(Elapsed(Berlin9To5(), "2026-03-27T15:00Z", "2026-03-30T08:00Z"), 120);
}

TEST(CalendarTest, BerlinFallBackOverTheWeekend) {
  // Fri 23 Oct 16:00 CEST + 60, then Mon 26 Oct 09:00 CET + 60.
  EXPECT_EQ(Due(Berlin9To5(), "2026-10-23T14:00Z", 120), "2026-10-26T09:00:00Z");
  EXPECT_EQ(Elapsed(Berlin9To5(), "2026-10-23T14:00Z", "2026-10-26T09:00Z"), 120);
}

TEST(CalendarTest, BerlinOpenAllDayHasA23HourAndA25HourSunday) {
  Calendar all_day = Calendar::Create("Europe/Berlin", On(kEveryDay, {{hours(0), hours(24)}}), {});
  // Sun 29 Mar 00:00 CET = Sat 23:00Z; 24 business hours are 24 real hours.
  EXPECT_EQ(Due(all_day, "2026-03-28T23:00Z", 1440), "2026-03-29T23:00:00Z");
  // The local days themselves: 29 Mar (00:00 CET to 24:00 CEST), 25 Oct.
  EXPECT_EQ(Elapsed(all_day, "2026-03-28T23:00Z", "2026-03-29T22:00Z"), 23 * 60);
  EXPECT_EQ(Elapsed(all_day, "2026-10-24T22:00Z", "2026-10-25T23:00Z"), 25 * 60);
}

TEST(CalendarTest, BerlinOvernightShiftOnTheSpringForwardNight) {
  Calendar nights = Calendar::Create("Europe/Berlin", On(kEveryDay, {{hours(22), hours(6)}}), {});
  // Sat 28 Mar 22:00 CET (21:00Z) to Sun 06:00 CEST (04:00Z): 7 hours.
  EXPECT_EQ(Due(nights, "2026-03-28T21:00Z", 420), "2026-03-29T04:00:00Z");
  // One more hour: Sun 22:00 CEST (20:00Z) + 60.
  EXPECT_EQ(Due(nights, "2026-03-28T21:00Z", 480), "2026-03-29T21:00:00Z");
  EXPECT_EQ(Elapsed(nights, "2026-03-28T21:00Z", "2026-03-29T12:00Z"), 420);
}

TEST(CalendarTest, BerlinOvernightShiftOnTheFallBackNight) {
  Calendar nights = Calendar::Create("Europe/Berlin", On(kEveryDay, {{hours(22), hours(6)}}), {});
  // Sat 24 Oct 22:00 CEST (20:00Z) to Sun 06:00 CET (05:00Z): 9 hours.
  EXPECT_EQ(Due(nights, "2026-10-24T20:00Z", 540), "2026-10-25T05:00:00Z");
  // One more hour: Sun 22:00 CET (21:00Z) + 60.
  EXPECT_EQ(Due(nights, "2026-10-24T20:00Z", 600), "2026-10-25T22:00:00Z");
  EXPECT_EQ(Elapsed(nights, "2026-10-24T20:00Z", "2026-10-25T12:00Z"), 540);
}

TEST(CalendarTest, NewYorkSpringForwardOverTheWeekend) {
  Calendar ny = Calendar::Create("America/New_York", On(kMonToFri, {{hours(8), hours(18)}}), {});
  // Fri 6 Mar 17:00 EST (22:00Z) + 60, then Mon 9 Mar 08:00 EDT (12:00Z) + 60.
  EXPECT_EQ(Due(ny, "2026-03-06T22:00Z", 120), "2026-03-09T13:00:00Z");
  EXPECT_EQ(Elapsed(ny, "2026-03-06T22:00Z", "2026-03-09T13:00Z"), 120);
}

TEST(CalendarTest, NewYorkFallBackOverTheWeekend) {
  Calendar ny = Calendar::Create("America/New_York", On(kMonToFri, {{hours(8), hours(18)}}), {});
  // Fri 30 Oct 17:00 EDT (21:00Z) + 60, then Mon 2 Nov 08:00 EST (13:00Z) + 60.
  EXPECT_EQ(Due(ny, "2026-10-30T21:00Z", 120), "2026-11-02T14:00:00Z");
  EXPECT_EQ(Elapsed(ny, "2026-10-30T21:00Z", "2026-11-02T14:00Z"), 120);
}

TEST(CalendarTest, NewYorkHoursAcrossTheSwitchCountRealTime) {
  Calendar sundays = Calendar::Create("America/New_York", On({0}, {{hours(0), hours(6)}}), {});
  // Sun 8 Mar 00:00 EST (05:00Z) to 06:00 EDT (10:00Z): 5 hours.
  EXPECT_EQ(Elapsed(sundays, "2026-03-08T00:00Z", "2026-03-09T00:00Z"), 300);
  EXPECT_EQ(Due(sundays, "2026-03-08T05:00Z", 300), "2026-03-08T10:00:00Z");
  // Sun 1 Nov 00:00 EDT (04:00Z) to 06:00 EST (11:00Z): 7 hours.
  EXPECT_EQ(Elapsed(sundays, "2026-11-01T00:00Z", "2026-11-02T00:00Z"), 420);
  EXPECT_EQ(Due(sundays, "2026-11-01T04:00Z", 420), "2026-11-01T11:00:00Z");
}

TEST(CalendarTest, NewYorkHoursBeginningOrEndingInSkippedOrRepeatedTime) {
  // 02:30 does not exist on 8 Mar: the office opens at the jump (07:00Z)
  // and closes at 04:00 EDT (08:00Z).
  Calendar skipped =
      Calendar::Create("America/New_York", On({0}, {{hours(2) + minutes(30), hours(4)}}), {});
  EXPECT_EQ(Elapsed(skipped, "2026-03-08T00:00Z", "2026-03-09T00:00Z"), 60);
  EXPECT_EQ(Due(skipped, "2026-03-08T00:00Z", 1), "2026-03-08T07:01:00Z");
  // 01:30 happens twice on 1 Nov: opening at the first (01:30 EDT, 05:30Z)
  // until 03:00 EST (08:00Z).
  Calendar repeated_begin =
      Calendar::Create("America/New_York", On({0}, {{hours(1) + minutes(30), hours(3)}}), {});
  EXPECT_EQ(Elapsed(repeated_begin, "2026-11-01T00:00Z", "2026-11-02T00:00Z"), 150);
  EXPECT_EQ(Due(repeated_begin, "2026-11-01T00:00Z", 150), "2026-11-01T08:00:00Z");
  // Closing at a repeated time closes at its last occurrence (01:30 EST, 06:30Z).
  Calendar repeated_end =
      Calendar::Create("America/New_York", On({0}, {{hours(0), hours(1) + minutes(30)}}), {});
  EXPECT_EQ(Elapsed(repeated_end, "2026-11-01T00:00Z", "2026-11-02T00:00Z"), 150);
}

TEST(CalendarTest, SydneyDstEndsOverEaster) {
  Calendar sydney = Calendar::Create("Australia/Sydney", On(kMonToFri, {{hours(9), hours(17)}}),
                                     Days({"2026-04-03", "2026-04-06"}));
  // Thu 2 Apr 16:00 AEDT (05:00Z) + 60; Good Friday, the weekend (DST ends
  // Sunday) and Easter Monday are closed; Tue 7 Apr 09:00 AEST (Mon 23:00Z) + 60.
  EXPECT_EQ(Due(sydney, "2026-04-02T05:00Z", 120), "2026-04-07T00:00:00Z");
  EXPECT_EQ(Elapsed(sydney, "2026-04-02T05:00Z", "2026-04-07T00:00Z"), 120);
}

TEST(CalendarTest, SydneyDstStartsOverTheLabourDayWeekend) {
  Calendar no_holiday =
      Calendar::Create("Australia/Sydney", On(kMonToFri, {{hours(9), hours(17)}}), {});
  // Fri 2 Oct 16:00 AEST (06:00Z) + 60, then Mon 5 Oct 09:00 AEDT (Sun 22:00Z) + 60.
  EXPECT_EQ(Due(no_holiday, "2026-10-02T06:00Z", 120), "2026-10-04T23:00:00Z");
  Calendar labour_day = Calendar::Create("Australia/Sydney", On(kMonToFri, {{hours(9), hours(17)}}),
                                         Days({"2026-10-05"}));
  // Closed on Labour Day: Tue 6 Oct 09:00 AEDT (Mon 22:00Z) + 60.
  EXPECT_EQ(Due(labour_day, "2026-10-02T06:00Z", 120), "2026-10-05T23:00:00Z");
}

TEST(CalendarTest, OvernightHoursContinueFromThePreviousDay) {
  Calendar nights = Calendar::Create("Europe/Berlin", On(kMonToFri, {{hours(22), hours(6)}}), {});
  // Fri 5 Jun 22:00 CEST (20:00Z) to Sat 06:00: the whole Friday night.
  EXPECT_EQ(Due(nights, "2026-06-05T20:00Z", 480), "2026-06-06T04:00:00Z");
  // One minute more waits for Monday 22:00 CEST.
  EXPECT_EQ(Due(nights, "2026-06-05T20:00Z", 481), "2026-06-08T20:01:00Z");
  // Tue 03:00 CEST is inside Monday's night: 180 until 06:00, then Tue 22:00 + 60.
  EXPECT_EQ(Due(nights, "2026-06-09T01:00Z", 240), "2026-06-09T21:00:00Z");
  EXPECT_EQ(Elapsed(nights, "2026-06-09T01:00Z", "2026-06-09T21:00Z"), 240);
}

TEST(CalendarTest, HolidaysAreClosedAllDay) {
  Calendar berlin = Berlin9To5(Days({"2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"}));
  // Wed 23 Dec 16:00 CET + 60; Thu and Fri holidays; Mon 28 Dec 09:00 + 420.
  EXPECT_EQ(Due(berlin, "2026-12-23T15:00Z", 480), "2026-12-28T15:00:00Z");
  // 23, 28, 29, 30 Dec are the open days of that fortnight.
  EXPECT_EQ(Elapsed(berlin, "2026-12-23T08:00Z", "2027-01-04T08:00Z"), 4 * 480);
}

TEST(CalendarTest, AHolidayClosesItsPartOfAnOvernightInterval) {
  Calendar nights = Calendar::Create("Europe/Berlin", On(kMonToFri, {{hours(22), hours(6)}}),
                                     Days({"2026-12-25"}));
  // Thu 24 Dec 22:00-24:00 CET counts (120); Fri 25 Dec is closed, both
  // Thursday's night after midnight and Friday's night before midnight;
  // Sat 26 Dec 00:00 CET (25 Dec 23:00Z) + 60.
  EXPECT_EQ(Due(nights, "2026-12-24T21:00Z", 180), "2026-12-26T00:00:00Z");
  EXPECT_EQ(Elapsed(nights, "2026-12-24T21:00Z", "2026-12-26T05:00Z"), 120 + 360);
}

TEST(CalendarTest, TargetsLongerThanAWeek) {
  // 6000 business minutes = 12.5 days of 8 hours from Mon 16 Mar 09:00 CET:
  // 12 days through Tue 31 Mar, then Wed 1 Apr 09:00 CEST + 240.
  EXPECT_EQ(Due(Berlin9To5(), "2026-03-16T08:00Z", 6000), "2026-04-01T11:00:00Z");
  EXPECT_EQ(Elapsed(Berlin9To5(), "2026-03-16T08:00Z", "2026-04-01T11:00Z"), 6000);
  // Six weeks exactly: Mon 16 Mar 09:00 -> Fri 24 Apr 17:00 CEST.
  EXPECT_EQ(Due(Berlin9To5(), "2026-03-16T08:00Z", 6 * 5 * 480), "2026-04-24T15:00:00Z");
}

TEST(CalendarTest, ElapsedMinutesBetweenInstants) {
  Calendar berlin = Berlin9To5();
  // Fri 5 Jun 15:30-17:00 CEST (90) and Mon 8 Jun 09:00-10:15 (75).
  EXPECT_EQ(Elapsed(berlin, "2026-06-05T13:30Z", "2026-06-08T08:15Z"), 165);
  EXPECT_EQ(Elapsed(berlin, "2026-06-06T08:00Z", "2026-06-07T20:00Z"), 0);  // weekend
  EXPECT_EQ(Elapsed(berlin, "2026-06-08T08:15Z", "2026-06-05T13:30Z"), 0);  // reversed
  EXPECT_EQ(Elapsed(berlin, "2026-06-08T08:00Z", "2026-06-08T08:00Z"), 0);
}

TEST(CalendarTest, CountingFromClosedTimeBeginsAtTheNextOpening) {
  Calendar berlin = Berlin9To5();
  EXPECT_EQ(Due(berlin, "2026-06-06T10:00Z", 0), "2026-06-06T10:00:00Z");
  EXPECT_EQ(Due(berlin, "2026-06-06T10:00Z", 1), "2026-06-08T07:01:00Z");
  // A target that ends exactly at closing time is due at closing time.
  EXPECT_EQ(Due(berlin, "2026-06-08T07:00Z", 480), "2026-06-08T15:00:00Z");
}

TEST(CalendarTest, PauseAndResumeAcrossAWeekend) {
  Calendar berlin = Berlin9To5();
  // Started Fri 5 Jun 15:00 CEST, paused at 16:00: 60 of 480 used.
  Calendar::Duration used =
      berlin.BusinessTimeBetween(T("2026-06-05T13:00Z"), T("2026-06-05T14:00Z"));
  EXPECT_EQ(used, minutes(60));
  // Resumed Sat 12:00: 420 remain from Mon 09:00 CEST -> 16:00 CEST.
  EXPECT_EQ(S(berlin.AddBusinessTime(T("2026-06-06T10:00Z"), minutes(480) - used)),
            "2026-06-08T14:00:00Z");
  // Unpaused, the clock would have been due an hour earlier.
  EXPECT_EQ(Due(berlin, "2026-06-05T13:00Z", 480), "2026-06-08T13:00:00Z");
}

TEST(CalendarTest, DueAndElapsedAgreeEverywhere) {
  const std::vector<Calendar> calendars = {
      Berlin9To5(Days({"2026-04-03"})),
      Calendar::Create("Europe/Berlin", On(kEveryDay, {{hours(22), hours(6)}}), {}),
      Calendar::Create("America/New_York",
                       On(kMonToFri, {{hours(8), hours(12)}, {hours(11), hours(18)}}), {}),
      Calendar::Create("Australia/Sydney", On({0, 6}, {{hours(1), hours(4)}}), {}),
  };
  for (const Calendar& calendar : calendars) {
    for (const char* from : {"2026-03-01T00:00Z", "2026-10-01T00:00Z"}) {
      for (Calendar::Instant start = T(from); start < T(from) + date::days(45);
           start += minutes(97)) {
        for (int target : {1, 59, 480, 1000, 2401}) {
          Calendar::Instant due = calendar.AddBusinessTime(start, minutes(target));
          ASSERT_EQ(calendar.BusinessTimeBetween(start, due), minutes(target))
              << calendar.time_zone_name() << " from " << S(start) << " + " << target;
          ASSERT_LT(calendar.BusinessTimeBetween(start, due - std::chrono::seconds(1)),
                    minutes(target));
        }
      }
    }
  }
}

TEST(CalendarTest, RejectsUnusableCalendars) {
  EXPECT_NO_THROW(Berlin9To5());
  EXPECT_THROW(
      {
        try {
          Calendar::Create("Mars/Olympus_Mons", On(kMonToFri, {{hours(9), hours(17)}}), {});
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(), "unknown time zone 'Mars/Olympus_Mons'");
          throw;
        }
      },
      std::invalid_argument);
  EXPECT_THROW(Calendar::Create("Europe/Berlin", On({1}, {{hours(9), hours(9)}}), {}),
               std::invalid_argument);
  EXPECT_THROW(Calendar::Create("Europe/Berlin", Calendar::WeeklyHours{}, {}),
               std::invalid_argument);
}

}  // namespace
}  // namespace triggerfish::plugins::sla
