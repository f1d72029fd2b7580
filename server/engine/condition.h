#pragma once

// Conditions compiled into an evaluation form when a rule is saved: field
// paths resolved once, operators checked against field types, expected values
// converted to the field's representation, regexes and sets pre-built.
//
//   Violations violations;
//   auto compiled = CompileCondition(rule.condition(), "rule.", limits, &violations);
//   if (!compiled) return violations.ToStatus("invalid rule");
//   bool holds = Evaluate(*compiled, input);
//   v1::ConditionExplanation why = Explain(*compiled, input);

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "re2/re2.h"
#include "server/common/violations.h"
#include "server/engine/field.h"
#include "server/engine/limits.h"
#include "triggerfish/v1/event_service.pb.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::server::engine {

enum class Op {
  kIs,
  kIsNot,
  kLessThan,
  kLessThanOrEqual,
  kGreaterThan,
  kGreaterThanOrEqual,
  kContains,
  kNotContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kIn,
  kNotIn,
  kIncludesAny,
  kIncludesAll,
  kIncludesNone,
  kPresent,
  kAbsent,
  kChanged,
  kChangedFrom,
  kChangedTo,
  kNotChanged,
};

// Parses an operator name ("is", "changed_from", ...).
std::optional<Op> ParseOp(std::string_view name);
std::string_view OpName(Op op);

// An expected scalar in the field's representation. Text is case-folded when
// the predicate ignores case.
struct Scalar {
  ValueKind kind = ValueKind::kAbsent;
  bool boolean = false;
  double number = 0;
  int64_t micros = 0;
  int rank = 0;
  std::string text;
};

struct CompiledPredicate {
  FieldRef field;
  Op op = Op::kIs;
  bool ignore_case = false;
  // The value as written in the rule, for explanations.
  google::protobuf::Value expected;
  // is / is_not / ordering / text operators / changed_from / changed_to.
  Scalar scalar;
  // in / not_in.
  std::vector<Scalar> set;
  // includes_*: sorted, unique, folded when ignoring case.
  std::vector<std::string> strings;
  // matches.
  std::unique_ptr<RE2> regex;
};

struct CompiledCondition {
  enum class Kind { kAll, kAny, kNot, kPredicate };
  Kind kind = Kind::kAll;
  // Path in the rule, e.g. "condition.all[1]".
  std::string path;
  std::vector<CompiledCondition> children;
  std::shared_ptr<const CompiledPredicate> predicate;
};

// Validates and compiles `condition`. Violation paths are `prefix` followed
// by the node path ("condition.any[0].predicate.value"). Returns nullopt when
// any violation was added.
std::optional<CompiledCondition> CompileCondition(const v1::Condition& condition,
                                                  std::string_view prefix, const RuleLimits& limits,
                                                  Violations* violations);

// Whether the condition holds. Short-circuits; never fails.
bool Evaluate(const CompiledCondition& condition, const EvalInput& input);

// Evaluates every node (no short-circuit) and says why each holds or not.
v1::ConditionExplanation Explain(const CompiledCondition& condition, const EvalInput& input);

// Summary line for a condition that did not hold: the first false predicate
// on the deciding path, e.g. "condition.all[0]: ticket.priority is "high"
// (actual "normal")".
std::string SummarizeFailure(const v1::ConditionExplanation& explanation);

}  // namespace triggerfish::server::engine
