// The sla plugin's configuration: business-hours calendars and SLA policies.
//
//   {"calendars": {"berlin": {"time_zone": "Europe/Berlin",
//                             "hours": {"mon": [["09:00", "17:00"]], ...,
//                                       "sat": [["22:00", "06:00"]]},
//                             "holidays": ["2026-12-25"]}},
//    "policies": {"standard": {"calendar": "berlin",
//                              "targets": {"urgent": {"first_reply_time": 60,
//                                                     "resolution_time": 480}},
//                              "warning": {"lead_minutes": 30}}}}
//
// Hours are local [start, end) times per weekday (mon..sun); an end at or
// before the start crosses midnight; "24:00" ends at midnight. A policy
// without "calendar" counts calendar time (24/7). Targets are minutes of
// business time per priority (low, normal, high, urgent) and metric
// (first_reply_time, next_reply_time, resolution_time). "warning" is either
// {"lead_minutes": N} (warn N business minutes before the due time) or
// {"fraction": f} (warn when f of the target is used); without it no warning
// is scheduled. An empty config ({}) is valid: the plugin then has no
// policies and sla.start fails for every policy name.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

#include "calendar.h"

namespace triggerfish::plugins::sla {

// The metrics a policy can target, in the order actions visit them.
inline constexpr std::array<std::string_view, 3> kMetrics = {"first_reply_time", "next_reply_time",
                                                             "resolution_time"};

// One SLA policy: targets per priority and metric, the calendar they are
// counted in and when to warn.
class Policy {
 public:
  Policy(std::string name, std::string calendar_name, std::shared_ptr<const Calendar> calendar)
      : name_(std::move(name)),
        calendar_name_(std::move(calendar_name)),
        calendar_(std::move(calendar)) {}

  const std::string& name() const { return name_; }
  // The configured calendar's name; "" for calendar time.
  const std::string& calendar_name() const { return calendar_name_; }
  const Calendar& calendar() const { return *calendar_; }

  // The target of `metric` at `priority`, or nullopt if the policy has none.
  std::optional<std::chrono::minutes> Target(std::string_view priority,
                                             std::string_view metric) const;
  // How much business time into a clock with `target` the warning is due;
  // nullopt if the policy does not warn or the point falls outside
  // (0, target).
  std::optional<Calendar::Duration> WarningPoint(std::chrono::minutes target) const;

 private:
  friend class Config;

  std::string name_;
  std::string calendar_name_;
  std::shared_ptr<const Calendar> calendar_;
  // targets_[priority][metric]
  std::map<std::string, std::map<std::string, std::chrono::minutes, std::less<>>, std::less<>>
      targets_;
  std::optional<std::chrono::minutes> warning_lead_;
  std::optional<double> warning_fraction_;
};

class Config {
 public:
  // JSON Schema of the config object; the host validates against it before
  // the constructor runs.
  static constexpr std::string_view kSchema = R"({
    "type": "object",
    "additionalProperties": false,
    "definitions": {
      "time": {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"},
      "intervals": {
        "type": "array",
        "items": {
          "type": "array", "minItems": 2, "maxItems": 2,
          "items": {"$ref": "#/definitions/time"}
        }
      },
      "minutes": {"type": "integer", "minimum": 1, "maximum": 525600},
      "metric_targets": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "first_reply_time": {"$ref": "#/definitions/minutes"},
          "next_reply_time": {"$ref": "#/definitions/minutes"},
          "resolution_time": {"$ref": "#/definitions/minutes"}
        }
      }
    },
    "properties": {
      "calendars": {
        "type": "object",
        "additionalProperties": {
          "type": "object",
          "required": ["time_zone", "hours"],
          "additionalProperties": false,
          "properties": {
            "time_zone": {"type": "string", "minLength": 1},
            "hours": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "mon": {"$ref": "#/definitions/intervals"},
                "tue": {"$ref": "#/definitions/intervals"},
                "wed": {"$ref": "#/definitions/intervals"},
                "thu": {"$ref": "#/definitions/intervals"},
                "fri": {"$ref": "#/definitions/intervals"},
                "sat": {"$ref": "#/definitions/intervals"},
                "sun": {"$ref": "#/definitions/intervals"}
              }
            },
            "holidays": {
              "type": "array",
              "items": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
            }
          }
        }
      },
      "policies": {
        "type": "object",
        "additionalProperties": {
          "type": "object",
          "required": ["targets"],
          "additionalProperties": false,
          "properties": {
            "calendar": {"type": "string", "minLength": 1},
            "targets": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "low": {"$ref": "#/definitions/metric_targets"},
                "normal": {"$ref": "#/definitions/metric_targets"},
                "high": {"$ref": "#/definitions/metric_targets"},
                "urgent": {"$ref": "#/definitions/metric_targets"}
              }
            },
            "warning": {
              "type": "object",
              "additionalProperties": false,
              "minProperties": 1,
              "maxProperties": 1,
              "properties": {
                "lead_minutes": {"$ref": "#/definitions/minutes"},
                "fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
              }
            }
          }
        }
      }
    }
  })";

  // Parses a config that matches kSchema. Throws std::invalid_argument with
  // a message naming the calendar or policy for what the schema cannot
  // catch: unknown time zones, invalid dates, empty intervals, calendars
  // without opening hours, policies referring to unknown calendars.
  explicit Config(const sdk::Json& config);

  // The policy called `name`, or nullptr.
  const Policy* FindPolicy(std::string_view name) const;

 private:
  std::map<std::string, std::shared_ptr<const Calendar>, std::less<>> calendars_;
  std::map<std::string, Policy, std::less<>> policies_;
};

}  // namespace triggerfish::plugins::sla
