#include "server/engine/compiled_rule.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "server/common/strings.h"

namespace triggerfish::server::engine {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsValidActionType(std::string_view type) {
  const size_t dot = type.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == type.size()) return false;
  if (type.find('.', dot + 1) != std::string_view::npos) return false;
  return std::all_of(type.begin(), type.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '_' || c == '.'; });
}

uint64_t ReadsOf(const CompiledCondition& c) {
  if (c.kind == CompiledCondition::Kind::kPredicate) return c.predicate->field.reads();
  uint64_t reads = 0;
  for (const auto& child : c.children) reads |= ReadsOf(child);
  return reads;
}

// JSON (what plugins receive) has no NaN or Infinity: such a number would
// reach the plugin as null. Adds a violation per non-finite number.
void CheckFiniteNumbers(const google::protobuf::Value& value, const std::string& path,
                        Violations* violations) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      if (!std::isfinite(value.number_value())) violations->Add(path, "number must be finite");
      break;
    case google::protobuf::Value::kListValue:
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        CheckFiniteNumbers(value.list_value().values(i), StrCat(path, "[", i, "]"), violations);
      }
      break;
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, item] : value.struct_value().fields()) {
        CheckFiniteNumbers(item, StrCat(path, ".", key), violations);
      }
      break;
    default:
      break;
  }
}

bool IsEmptyCondition(const v1::Condition& c) {
  return c.all().empty() && c.any().empty() && !c.has_not_() && !c.has_predicate();
}

// Shared by CompileRule and RecompileStoredRule. With `strict_actions`,
// unknown action types and bad params are violations.
std::shared_ptr<const CompiledRule> Compile(const v1::Rule& rule, std::string_view prefix,
                                            const RuleLimits& limits, const ActionCatalog& catalog,
                                            bool strict_actions, Violations* violations) {
  const size_t before = violations->size();
  auto path = [&](std::string_view field) { return StrCat(prefix, field); };

  if (!rule.id().empty() && !IsValidRuleId(rule.id())) {
    violations->Add(path("id"),
                    "must be 1-63 characters of [a-z0-9_-] starting with a letter or digit");
  }
  if (rule.name().empty()) {
    violations->Add(path("name"), "required");
  } else if (rule.name().size() > 200) {
    violations->Add(path("name"), "longer than 200 bytes");
  }
  if (rule.description().size() > 2000) {
    violations->Add(path("description"), "longer than 2000 bytes");
  }
  const size_t bytes = rule.ByteSizeLong();
  if (bytes > limits.max_rule_bytes) {
    violations->Add(prefix.empty() ? "rule" : std::string(prefix.substr(0, prefix.size() - 1)),
                    StrCat("rule is ", bytes, " bytes; the limit is ", limits.max_rule_bytes,
                           " (limits.max_rule_bytes)"));
    return nullptr;
  }

  const auto& types = rule.trigger().event_types();
  if (types.empty()) {
    violations->Add(path("trigger.event_types"), "at least one event type is required");
  } else if (types.size() > limits.max_event_types) {
    violations->Add(path("trigger.event_types"),
                    StrCat("has ", types.size(), " event types; the limit is ",
                           limits.max_event_types, " (limits.max_event_types)"));
  } else {
    std::set<std::string_view> seen;
    for (int i = 0; i < types.size(); ++i) {
      const std::string p = StrCat(prefix, "trigger.event_types[", i, "]");
      if (!IsValidEventType(types[i])) {
        violations->Add(p, StrCat("\"", types[i],
                                  "\" is not a lower-case dotted event type such as "
                                  "\"ticket.created\""));
      } else if (!seen.insert(types[i]).second) {
        violations->Add(p, StrCat("duplicate event type \"", types[i], "\""));
      }
    }
  }

  auto out = std::make_shared<CompiledRule>();
  if (rule.has_condition() && !IsEmptyCondition(rule.condition())) {
    out->condition = CompileCondition(rule.condition(), prefix, limits, violations);
  }

  if (rule.actions_size() > limits.max_actions) {
    violations->Add(path("actions"), StrCat("has ", rule.actions_size(), " actions; the limit is ",
                                            limits.max_actions, " (limits.max_actions)"));
  } else {
    for (int i = 0; i < rule.actions_size(); ++i) {
      const auto& action = rule.actions(i);
      const std::string p = StrCat(prefix, "actions[", i, "]");
      CompiledAction compiled{action.type(), action.params(), std::nullopt};
      for (const auto& [key, item] : action.params().fields()) {
        CheckFiniteNumbers(item, StrCat(p, ".params.", key), violations);
      }
      if (action.type().empty()) {
        violations->Add(p + ".type", "required");
      } else if (!IsValidActionType(action.type())) {
        violations->Add(p + ".type",
                        StrCat("\"", action.type(), "\" is not of the form <plugin>.<action>"));
      } else {
        compiled.mode = catalog.ModeOf(action.type());
        if (!compiled.mode && strict_actions) {
          violations->Add(p + ".type", StrCat("unknown action type \"", action.type(), "\""));
        } else if (compiled.mode && strict_actions) {
          catalog.ValidateParams(action.type(), action.params(), p + ".params", violations);
        }
      }
      out->actions.push_back(std::move(compiled));
    }
  }

  if (violations->size() != before) return nullptr;
  if (out->condition) out->reads = ReadsOf(*out->condition);
  out->rule = rule;
  return out;
}

}  // namespace

bool CompiledRule::ListensTo(std::string_view event_type) const {
  for (const auto& t : rule.trigger().event_types()) {
    if (t == event_type) return true;
  }
  return false;
}

bool IsValidRuleId(std::string_view id) {
  if (id.empty() || id.size() > 63 || !IsLowerAlnum(id[0])) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '_' || c == '-'; });
}

bool IsValidEventType(std::string_view type) {
  if (type.empty() || type.size() > 128) return false;
  int segments = 0;
  size_t start = 0;
  while (start <= type.size()) {
    size_t end = type.find('.', start);
    if (end == std::string_view::npos) end = type.size();
    const std::string_view segment = type.substr(start, end - start);
    if (segment.empty() || segment[0] < 'a' || segment[0] > 'z') return false;
    if (!std::all_of(segment.begin(), segment.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '_'; })) {
      return false;
    }
    ++segments;
    start = end + 1;
  }
  return segments >= 2;
}

std::shared_ptr<const CompiledRule> CompileRule(const v1::Rule& rule, std::string_view prefix,
                                                const RuleLimits& limits,
                                                const ActionCatalog& catalog,
                                                Violations* violations) {
  return Compile(rule, prefix, limits, catalog, /*strict_actions=*/true, violations);
}

std::shared_ptr<const CompiledRule> RecompileStoredRule(const v1::Rule& rule,
                                                        const RuleLimits& limits,
                                                        const ActionCatalog& catalog,
                                                        std::string* error) {
  Violations violations;
  auto out = Compile(rule, "", limits, catalog, /*strict_actions=*/false, &violations);
  if (!out && error != nullptr) {
    *error = violations.empty()
                 ? "does not compile"
                 : StrCat(violations.items()[0].field, ": ", violations.items()[0].description);
  }
  return out;
}

}  // namespace triggerfish::server::engine
