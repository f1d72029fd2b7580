#include "config.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

namespace triggerfish::plugins::sla {
namespace {

using std::chrono::minutes;

// Weekday keys of "hours", indexed like Calendar::WeeklyHours.
constexpr std::array<std::string_view, 7> kWeekdays = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

// "HH:MM" (already matched by the schema's pattern) as minutes after midnight.
minutes ParseTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') throw std::invalid_argument("bad time '" + text + "'");
  return minutes(std::stoi(text.substr(0, 2)) * 60 + std::stoi(text.substr(3, 2)));
}

// "YYYY-MM-DD" (the schema checks the shape) as a date.
date::year_month_day ParseDate(const std::string& text) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int used = 0;
  const bool parsed = std::sscanf(text.c_str(), "%4d-%2u-%2u%n", &year, &month, &day, &used) == 3 &&
                      static_cast<size_t>(used) == text.size();
  const date::year_month_day date{date::year(year), date::month(month), date::day(day)};
  if (!parsed || !date.ok()) throw std::invalid_argument("'" + text + "' is not a valid date");
  return date;
}

Calendar ParseCalendar(const std::string& name, const sdk::Json& json) {
  try {
    Calendar::WeeklyHours hours;
    const sdk::Json& hours_json = json.at("hours");
    for (size_t day = 0; day < kWeekdays.size(); ++day) {
      auto it = hours_json.find(kWeekdays[day]);
      if (it == hours_json.end()) continue;
      for (const sdk::Json& interval : *it) {
        const std::string begin = interval.at(0).get<std::string>();
        const std::string end = interval.at(1).get<std::string>();
        if (begin == "24:00") {
          throw std::invalid_argument(std::string(kWeekdays[day]) +
                                      ": an interval cannot start at 24:00");
        }
        hours[day].push_back(Calendar::OpenHours{ParseTime(begin), ParseTime(end)});
      }
    }
    std::vector<date::year_month_day> holidays;
    for (const sdk::Json& day : json.value("holidays", sdk::Json::array())) {
      holidays.push_back(ParseDate(day.get<std::string>()));
    }
    return Calendar::Create(json.at("time_zone").get<std::string>(), std::move(hours),
                            std::move(holidays));
  } catch (const std::exception& e) {
    throw std::invalid_argument("calendar '" + name + "': " + e.what());
  }
}

}  // namespace

std::optional<minutes> Policy::Target(std::string_view priority, std::string_view metric) const {
  auto by_priority = targets_.find(priority);
  if (by_priority == targets_.end()) return std::nullopt;
  auto target = by_priority->second.find(metric);
  if (target == by_priority->second.end()) return std::nullopt;
  return target->second;
}

std::optional<Calendar::Duration> Policy::WarningPoint(minutes target) const {
  Calendar::Duration point;
  if (warning_lead_) {
    point = target - *warning_lead_;
  } else if (warning_fraction_) {
    point =
        Calendar::Duration(std::llround(Calendar::Duration(target).count() * *warning_fraction_));
  } else {
    return std::nullopt;
  }
  if (point <= Calendar::Duration::zero() || point >= target) return std::nullopt;
  return point;
}

Config::Config(const sdk::Json& config) {
  // Named locals: a range-for over items() of a temporary would dangle.
  const sdk::Json calendars = config.value("calendars", sdk::Json::object());
  const sdk::Json policies = config.value("policies", sdk::Json::object());
  for (const auto& [name, json] : calendars.items()) {
    calendars_.emplace(name, std::make_shared<const Calendar>(ParseCalendar(name, json)));
  }
  const auto calendar_time = std::make_shared<const Calendar>();
  for (const auto& [name, json] : policies.items()) {
    std::string calendar_name = json.value("calendar", std::string());
    std::shared_ptr<const Calendar> calendar = calendar_time;
    if (!calendar_name.empty()) {
      auto it = calendars_.find(calendar_name);
      if (it == calendars_.end()) {
        throw std::invalid_argument("policy '" + name + "' refers to unknown calendar '" +
                                    calendar_name + "'");
      }
      calendar = it->second;
    }
    Policy policy(name, std::move(calendar_name), std::move(calendar));
    for (const auto& [priority, metrics] : json.at("targets").items()) {
      for (const auto& [metric, target] : metrics.items()) {
        policy.targets_[priority][metric] = minutes(target.get<int64_t>());
      }
    }
    if (auto warning = json.find("warning"); warning != json.end()) {
      if (warning->contains("lead_minutes")) {
        policy.warning_lead_ = minutes(warning->at("lead_minutes").get<int64_t>());
      } else if (warning->contains("fraction")) {
        policy.warning_fraction_ = warning->at("fraction").get<double>();
      }
    }
    policies_.emplace(name, std::move(policy));
  }
}

const Policy* Config::FindPolicy(std::string_view name) const {
  auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : &it->second;
}

}  // namespace triggerfish::plugins::sla
