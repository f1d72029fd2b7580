#pragma once

// Renders what EvaluateEvent / PublishEvent return for people: fired rules
// with their actions, ticket patches, and each rule's explanation predicate
// by predicate.

#include <ostream>
#include <string>

#include "triggerfish/v1/event_service.pb.h"

namespace triggerfish::tfctl {

// "fired", "condition false", "disabled", "not triggered".
std::string OutcomeText(v1::RuleOutcome outcome);

// "priority=urgent type=incident +tags=[outage]"; "-" for an empty patch.
std::string PatchText(const v1::TicketPatch& patch);

// One line per fired rule, then one per action (status, patch, message).
void PrintFiredRules(std::ostream& out,
                     const google::protobuf::RepeatedPtrField<v1::FiredRule>& fired,
                     int indent = 0);

// The rule's verdict and summary, then its condition tree, one node per
// line:
//   rule vip-email "VIP requests by email": condition false
//     false  condition.all: all
//     true     condition.all[0]: ticket.channel is "email"  (actual "email")
void PrintExplanation(std::ostream& out, const v1::RuleExplanation& explanation, int indent = 0);

}  // namespace triggerfish::tfctl
