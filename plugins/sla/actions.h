// The sla plugin's actions: sla.start, sla.pause, sla.resume and sla.stop.
// All are inline: they only read and write plugin state and timers.
//
//   sla.start  {"policy": "standard", "metrics"?: ["first_reply_time", ...]}
//   sla.pause  {"metrics"?: [...]}
//   sla.resume {"metrics"?: [...]}
//   sla.stop   {"metrics"?: [...]}
//
// sla.start without metrics starts every metric the policy targets at the
// ticket's priority; metrics without a target are listed in the output's
// "skipped" with the reason. Starting a clock that is already running or
// paused under the same policy and priority changes nothing; under another
// policy or priority the clock keeps its business time and takes the new
// target. A stopped clock starts afresh. The other actions default to every
// clock the ticket has.
//
// While a clock runs, two durable timers stand for it: at the due time
// "sla/<ticket>/<metric>/breached" emits sla.breached, and, if the policy
// warns, "sla/<ticket>/<metric>/warning" emits sla.warning earlier. Both
// carry the payload {"metric", "policy", "target_minutes", "due_at",
// "ticket_id"}. Pausing or stopping cancels them; resuming schedules them
// again from the remaining business time.
//
// Every action returns {"clocks": [<clock record> + "change"],
// "skipped": [{"metric", "reason"}]} as its output (see clock.h for the
// record).
#pragma once

#include <string_view>

#include <triggerfish/sdk.h>

#include "config.h"

namespace triggerfish::plugins::sla {

// What sla.pause, sla.resume and sla.stop do to each clock.
enum class Transition { kPause, kResume, kStop };

// Runs a Transition over the ticket's clocks (shared by the three actions).
sdk::Result ChangeClocks(sdk::Context& ctx, const Config& config, const sdk::Json& params,
                         const sdk::Json& ticket, Transition transition);

inline constexpr std::string_view kMetricsParamsSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "metrics": {
      "type": "array",
      "minItems": 1,
      "uniqueItems": true,
      "items": {"enum": ["first_reply_time", "next_reply_time", "resolution_time"]}
    }
  }
})";

class Start {
 public:
  static constexpr std::string_view kType = "sla.start";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Starts the ticket's SLA clocks under a policy and schedules their warning and breach "
      "events.";
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "required": ["policy"],
    "additionalProperties": false,
    "properties": {
      "policy": {"type": "string", "minLength": 1},
      "metrics": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {"enum": ["first_reply_time", "next_reply_time", "resolution_time"]}
      }
    }
  })";

  explicit Start(const Config& config) : config_(config) {}
  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const;

 private:
  const Config& config_;
};

class Pause {
 public:
  static constexpr std::string_view kType = "sla.pause";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Pauses running SLA clocks, keeping the business time used, and cancels their timers.";
  static constexpr std::string_view kParamsSchema = kMetricsParamsSchema;

  explicit Pause(const Config& config) : config_(config) {}
  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    return ChangeClocks(ctx, config_, params, ticket, Transition::kPause);
  }

 private:
  const Config& config_;
};

class Resume {
 public:
  static constexpr std::string_view kType = "sla.resume";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Resumes paused SLA clocks and schedules their timers from the remaining business time.";
  static constexpr std::string_view kParamsSchema = kMetricsParamsSchema;

  explicit Resume(const Config& config) : config_(config) {}
  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    return ChangeClocks(ctx, config_, params, ticket, Transition::kResume);
  }

 private:
  const Config& config_;
};

class Stop {
 public:
  static constexpr std::string_view kType = "sla.stop";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Stops SLA clocks (target met unless already breached) and cancels their timers.";
  static constexpr std::string_view kParamsSchema = kMetricsParamsSchema;

  explicit Stop(const Config& config) : config_(config) {}
  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    return ChangeClocks(ctx, config_, params, ticket, Transition::kStop);
  }

 private:
  const Config& config_;
};

}  // namespace triggerfish::plugins::sla
