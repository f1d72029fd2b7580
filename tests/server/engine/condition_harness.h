#pragma once

// Helpers for engine tests: write conditions and events as the JSON users
// send, compile them as the server does when a rule is saved, and evaluate
// them both ways (fast and explaining), checking that the two agree.
//
//   ConditionHarness h;
//   EXPECT_TRUE(h.Holds(Pred("ticket.status", "is", R"("open")"),
//                       TicketEvent(R"("status": "TICKET_STATUS_OPEN")")));

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/engine/condition.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine::testing {

// `{"predicate": {...}}` for one predicate. `value_json` is raw JSON (e.g.
// R"("open")", "5", R"(["a"])"); empty means no value.
inline std::string Pred(std::string_view field, std::string_view op,
                        std::string_view value_json = "", bool ignore_case = false) {
  std::string out = "{\"predicate\": {\"field\": \"";
  out.append(field);
  out.append("\", \"operator\": \"");
  out.append(op);
  out.append("\"");
  if (!value_json.empty()) {
    out.append(", \"value\": ");
    out.append(value_json);
  }
  if (ignore_case) out.append(", \"ignore_case\": true");
  out.append("}}");
  return out;
}

// Same, comparing case-insensitively.
inline std::string PredIgnoreCase(std::string_view field, std::string_view op,
                                  std::string_view value_json) {
  return Pred(field, op, value_json, /*ignore_case=*/true);
}

// A ticket.updated event whose ticket has id "t1" plus `ticket_fields` (the
// inside of a Ticket JSON object, e.g. R"("subject": "Refund")"). `extra`
// adds event members (e.g. R"("comment": {...})").
inline std::string TicketEvent(std::string_view ticket_fields = "", std::string_view extra = "") {
  std::string out = R"({"id": "e1", "type": "ticket.updated", "ticket": {"id": "t1")";
  if (!ticket_fields.empty()) {
    out.append(", ");
    out.append(ticket_fields);
  }
  out.append("}");
  if (!extra.empty()) {
    out.append(", ");
    out.append(extra);
  }
  out.append("}");
  return out;
}

// A ticket.updated event with a previous ticket.
inline std::string ChangeEvent(std::string_view previous_fields, std::string_view ticket_fields) {
  std::string previous = R"("previous": {"id": "t1")";
  if (!previous_fields.empty()) {
    previous.append(", ");
    previous.append(previous_fields);
  }
  previous.append("}");
  return TicketEvent(ticket_fields, previous);
}

class ConditionHarness {
 public:
  // Compiles `condition_json` (a failure is reported when it does not
  // compile) and evaluates it against `event_json` at `now_micros`. Checks
  // that Explain gives the same result as Evaluate.
  bool Holds(const std::string& condition_json, const std::string& event_json,
             int64_t now_micros = 0) {
    auto compiled = CompileOk(condition_json);
    if (!compiled) return false;
    event_ = triggerfish::testing::FromJson<v1::Event>(event_json);
    const EvalInput input = Input(now_micros);
    const bool fast = Evaluate(*compiled, input);
    EXPECT_EQ(fast, Explain(*compiled, input).result())
        << "Explain disagrees with Evaluate for " << condition_json;
    return fast;
  }

  // The explanation of `condition_json` on `event_json`.
  v1::ConditionExplanation ExplainOn(const std::string& condition_json,
                                     const std::string& event_json, int64_t now_micros = 0) {
    auto compiled = CompileOk(condition_json);
    if (!compiled) return {};
    event_ = triggerfish::testing::FromJson<v1::Event>(event_json);
    return Explain(*compiled, Input(now_micros));
  }

  // Compiles `condition_json`, reporting a failure with the violations when
  // it does not compile.
  std::optional<CompiledCondition> CompileOk(const std::string& condition_json) {
    Violations violations;
    auto compiled = CompileCondition(triggerfish::testing::FromJson<v1::Condition>(condition_json),
                                     "rule.", limits, &violations);
    if (!compiled) {
      std::string all;
      for (const auto& v : violations.items()) all += v.field + ": " + v.description + "\n";
      ADD_FAILURE() << "does not compile: " << condition_json << "\n" << all;
    }
    return compiled;
  }

  // The violations of a condition that must not compile.
  std::vector<FieldViolation> Errors(const std::string& condition_json) {
    return Errors(triggerfish::testing::FromJson<v1::Condition>(condition_json));
  }
  std::vector<FieldViolation> Errors(const v1::Condition& condition) {
    Violations violations;
    auto compiled = CompileCondition(condition, "rule.", limits, &violations);
    EXPECT_FALSE(compiled.has_value()) << "compiled but should not have";
    EXPECT_FALSE(violations.empty());
    return violations.items();
  }

  RuleLimits limits;

 private:
  EvalInput Input(int64_t now_micros) const {
    return EvalInput{&event_, &event_.ticket(),
                     event_.has_previous() ? &event_.previous() : nullptr, now_micros};
  }

  v1::Event event_;
};

// Matches a FieldViolation whose field is `field` and whose description
// contains `text`.
MATCHER_P2(Violation, field, text, "") {
  return arg.field == field && arg.description.find(text) != std::string::npos;
}

}  // namespace triggerfish::server::engine::testing

namespace triggerfish::server {

// Prints violations readably in failure messages (found by ADL).
inline void PrintTo(const FieldViolation& v, std::ostream* os) {
  *os << "{" << v.field << ": " << v.description << "}";
}

}  // namespace triggerfish::server
