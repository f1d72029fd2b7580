// A deterministic generator of realistic rules and events for the
// benchmarks: what a helpdesk tenant with many automation rules looks like.
//
//   std::vector<v1::Rule> rules = bench::GenerateRules(1000);
//   std::vector<v1::Event> events = bench::GenerateEvents(256);
//
// The same count and seed always give the same rules and events (the
// generator uses its own integer arithmetic on a fixed-seed mt19937_64, not
// the library's distributions, so the mix does not depend on the standard
// library either).
//
// Rules: 3-8 predicates each. Most start with equality guards on
// low-cardinality fields (ticket.status / priority / channel / type /
// group_id with `is` or `in`), then a mix of tag list operators
// (includes_any / includes_none / includes_all), custom fields
// (ticket.custom_fields.plan / region / mrr), RE2 `matches` on the subject
// or comment body, case-insensitive text operators, ordering on priority and
// hours since created, changed_to on updates, presence, and some `any` / `not`
// nesting. Each rule listens to one or two of ticket.created,
// ticket.updated, comment.created, sla.warning and sla.breached. Rules have
// no actions.
//
// Events: the same five types, with a full ticket (tags, requester, custom
// fields, timestamps), the previous ticket for updates and a comment for
// comment.created.
#pragma once

#include <cstdint>
#include <vector>

#include "triggerfish/v1/event.pb.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::bench {

inline constexpr uint64_t kRuleSeed = 20260302;
inline constexpr uint64_t kEventSeed = 7;

// `count` rules with ids "r-00000", "r-00001", ... and positions 0, 1, ...
std::vector<v1::Rule> GenerateRules(int count, uint64_t seed = kRuleSeed);

// `count` events with ids "e-00000", ...
std::vector<v1::Event> GenerateEvents(int count, uint64_t seed = kEventSeed);

// Number of predicates in a rule's condition (nested ones included).
int CountPredicates(const v1::Condition& condition);

}  // namespace triggerfish::bench
