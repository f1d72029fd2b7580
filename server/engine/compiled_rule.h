#pragma once

// A rule validated and compiled when it is saved.
//
//   Violations violations;
//   auto rule = CompileRule(proto, "rule.", limits, catalog, &violations);
//   if (!rule) return violations.ToStatus("invalid rule");

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/violations.h"
#include "server/engine/action.h"
#include "server/engine/condition.h"
#include "server/engine/limits.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::server::engine {

struct CompiledAction {
  std::string type;
  google::protobuf::Struct params;
  // nullopt when the action type is no longer known (a plugin was removed
  // after the rule was saved); running it fails with a clear message.
  std::optional<ActionMode> mode;
};

struct CompiledRule {
  v1::Rule rule;
  // nullopt: the rule has no condition and always holds.
  std::optional<CompiledCondition> condition;
  std::vector<CompiledAction> actions;
  // field_bits of the ticket data the condition reads.
  uint64_t reads = 0;

  const std::string& id() const { return rule.id(); }
  bool enabled() const { return !rule.has_enabled() || rule.enabled(); }
  bool ListensTo(std::string_view event_type) const;
};

// Whether `id` is a valid rule id: 1-63 characters of [a-z0-9_-], starting
// with a letter or digit.
bool IsValidRuleId(std::string_view id);

// Whether `type` is a valid event type: lower-case dotted segments
// ([a-z][a-z0-9_]*), at least two, at most 128 characters.
bool IsValidEventType(std::string_view type);

// Validates `rule` (all user-settable fields) and compiles it. Violation
// paths start with `prefix` ("rule." or "rules[2]."). Unknown action types
// and invalid params are violations. Returns nullptr when any violation was
// added.
std::shared_ptr<const CompiledRule> CompileRule(const v1::Rule& rule, std::string_view prefix,
                                                const RuleLimits& limits,
                                                const ActionCatalog& catalog,
                                                Violations* violations);

// Compiles a rule that was validated when it was saved (loading from the
// store). Actions whose type is no longer known are kept with no mode.
// Returns an error only if the stored rule no longer compiles.
std::shared_ptr<const CompiledRule> RecompileStoredRule(const v1::Rule& rule,
                                                        const RuleLimits& limits,
                                                        const ActionCatalog& catalog,
                                                        std::string* error);

}  // namespace triggerfish::server::engine
