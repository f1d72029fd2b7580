#pragma once

// An immutable, evaluation-ready snapshot of one tenant's rules: all rules in
// position order, and per event type the enabled rules listening to it with
// an index that rules out most of them without evaluating their conditions.
//
// The index keys rules by the equality guards of their condition: a
// top-level conjunct `F is v` or `F in [...]` on a text or enum field. For an
// event, only rules whose guard on F accepts the ticket's value of F (or that
// have no guard on F) are candidates. The index is exact as a filter: a rule
// it excludes could not have fired.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/engine/compiled_rule.h"

namespace triggerfish::server::engine {

// A set of rule positions (indices into a TypeRules' rules).
class RuleBitset {
 public:
  RuleBitset() = default;
  explicit RuleBitset(size_t size, bool value = false);
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Reset(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void AndWith(const RuleBitset& other);
  // `this &= (a | b)`.
  void AndWithUnion(const RuleBitset& a, const RuleBitset& b);
  void AndNot(const RuleBitset& other);
  // Index of the first set bit at or after `from`, or `size()` when none.
  size_t NextSet(size_t from) const;
  size_t size() const { return size_; }

 private:
  std::vector<uint64_t> words_;
  size_t size_ = 0;
};

class RuleIndex {
 public:
  void Build(const std::vector<const CompiledRule*>& rules);
  // Writes into `out` the rules that may hold for `input`.
  void Candidates(const EvalInput& input, RuleBitset* out) const;
  // Number of indexed fields.
  size_t field_count() const { return fields_.size(); }

 private:
  struct FieldIndex {
    FieldRef field;
    std::unordered_map<std::string, RuleBitset> by_value;
    RuleBitset unguarded;  // rules without a guard on this field
  };
  std::vector<FieldIndex> fields_;
  size_t size_ = 0;
};

// Enabled rules listening to one event type, in position order.
struct TypeRules {
  std::vector<const CompiledRule*> rules;
  RuleIndex index;
};

class RuleSet {
 public:
  // `rules` in any order; the set sorts them by (position, id).
  explicit RuleSet(std::vector<std::shared_ptr<const CompiledRule>> rules);

  // All rules, enabled or not, in position order.
  const std::vector<std::shared_ptr<const CompiledRule>>& rules() const { return rules_; }
  // Enabled rules listening to `event_type`; nullptr when there are none.
  const TypeRules* ForEventType(std::string_view event_type) const;

 private:
  std::vector<std::shared_ptr<const CompiledRule>> rules_;
  std::unordered_map<std::string, TypeRules> by_type_;
};

// Orders rules for evaluation: position ascending, then id.
bool RuleOrder(const CompiledRule& a, const CompiledRule& b);

}  // namespace triggerfish::server::engine
