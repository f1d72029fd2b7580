#pragma once

// Limits on what a rule may contain, checked when it is saved. Each has a
// configuration key of the same name under `limits:` in the server config.

#include <cstddef>
#include <cstdint>

namespace triggerfish::server::engine {

struct RuleLimits {
  // Nesting depth of a condition tree (the root is depth 1).
  int max_condition_depth = 32;
  // Predicates in one rule's condition.
  int max_predicates = 256;
  // Actions in one rule.
  int max_actions = 32;
  // Event types in one trigger.
  int max_event_types = 32;
  // Length of a regular expression, in bytes.
  size_t max_regex_length = 1024;
  // Memory RE2 may use for one compiled expression, in bytes.
  int64_t regex_max_mem = 1 << 20;
  // Length of one string value in a predicate, in bytes.
  size_t max_value_length = 4096;
  // Values in one list (in / includes_*).
  size_t max_list_values = 1000;
  // Serialized size of one rule, in bytes.
  size_t max_rule_bytes = 256 * 1024;
  // Rules of one tenant.
  int max_rules_per_tenant = 20000;
  // Serialized size of one event (ticket, previous ticket, comment), bytes.
  size_t max_event_bytes = 1 << 20;
};

}  // namespace triggerfish::server::engine
