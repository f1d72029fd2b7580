#include "tools/tfctl/explain.h"

#include "tools/tfctl/documents.h"
#include "tools/tfctl/output.h"

namespace triggerfish::tfctl {
namespace {

void PrintCondition(std::ostream& out, const v1::ConditionExplanation& node, int indent,
                    int depth) {
  out << std::string(indent, ' ') << (node.result() ? "true " : "false") << "  "
      << std::string(depth * 2, ' ') << node.path() << ": ";
  if (node.kind() == "predicate") {
    const v1::PredicateExplanation& p = node.predicate();
    out << p.field() << " " << p.operator_();
    if (p.has_expected()) out << " " << ValueText(p.expected());
    out << "  (actual " << ValueText(p.actual(), p.has_actual());
    if (p.has_previous()) out << ", previous " << ValueText(p.previous());
    if (!p.note().empty()) out << "; " << p.note();
    out << ")\n";
    return;
  }
  out << node.kind() << "\n";
  for (const auto& child : node.children()) PrintCondition(out, child, indent, depth + 1);
}

}  // namespace

std::string OutcomeText(v1::RuleOutcome outcome) {
  switch (outcome) {
    case v1::RULE_OUTCOME_FIRED:
      return "fired";
    case v1::RULE_OUTCOME_CONDITION_FALSE:
      return "condition false";
    case v1::RULE_OUTCOME_DISABLED:
      return "disabled";
    case v1::RULE_OUTCOME_NOT_TRIGGERED:
      return "not triggered";
    default:
      return "unknown";
  }
}

std::string PatchText(const v1::TicketPatch& patch) {
  std::string out;
  auto add = [&](const std::string& item) {
    if (!out.empty()) out += " ";
    out += item;
  };
  if (patch.has_subject()) add("subject=" + Json(patch.subject()).dump());
  if (patch.has_status()) {
    add("status=" + ShortEnumName(v1::TicketStatus_descriptor(), patch.status()));
  }
  if (patch.has_priority()) {
    add("priority=" + ShortEnumName(v1::TicketPriority_descriptor(), patch.priority()));
  }
  if (patch.has_type()) add("type=" + patch.type());
  if (patch.has_assignee_id()) add("assignee_id=" + patch.assignee_id());
  if (patch.has_group_id()) add("group_id=" + patch.group_id());
  if (patch.add_tags_size() > 0) {
    add("+tags=" + Json(ToVector(patch.add_tags())).dump());
  }
  if (patch.remove_tags_size() > 0) {
    add("-tags=" + Json(ToVector(patch.remove_tags())).dump());
  }
  std::map<std::string, std::string> custom;  // sorted for stable output
  for (const auto& [key, value] : patch.custom_fields()) custom[key] = ValueText(value);
  for (const auto& [key, value] : custom) add("custom_fields." + key + "=" + value);
  return out.empty() ? "-" : out;
}

void PrintFiredRules(std::ostream& out,
                     const google::protobuf::RepeatedPtrField<v1::FiredRule>& fired, int indent) {
  const std::string pad(indent, ' ');
  if (fired.empty()) {
    out << pad << "no rule fired\n";
    return;
  }
  for (const auto& rule : fired) {
    out << pad << rule.rule_id() << " \"" << rule.rule_name() << "\" (pass " << rule.pass()
        << ")\n";
    for (const auto& action : rule.actions()) {
      out << pad << "  " << action.index() << ". " << action.type() << ": "
          << ShortEnumName(v1::ActionStatus_descriptor(), action.status());
      if (action.has_ticket_patch()) {
        const std::string patch = PatchText(action.ticket_patch());
        if (patch != "-") out << "  " << patch;
      }
      if (!action.message().empty()) out << "  (" << action.message() << ")";
      out << "\n";
    }
  }
}

void PrintExplanation(std::ostream& out, const v1::RuleExplanation& explanation, int indent) {
  const std::string pad(indent, ' ');
  out << pad << "rule " << explanation.rule_id() << " \"" << explanation.rule_name()
      << "\": " << OutcomeText(explanation.outcome());
  if (!explanation.summary().empty()) out << " - " << explanation.summary();
  out << "\n";
  if (explanation.has_condition()) {
    PrintCondition(out, explanation.condition(), indent + 2, 0);
  }
}

}  // namespace triggerfish::tfctl
