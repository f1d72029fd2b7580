#include "server/engine/rule_set.h"

#include <algorithm>
#include <bit>
#include <map>

#include "server/common/strings.h"

namespace triggerfish::server::engine {
namespace {

constexpr size_t kMaxIndexedFields = 16;

// Index key of a value of a text or enum field; nullopt when not indexable.
std::optional<std::string> KeyOf(const FieldValue& v) {
  if (v.kind == ValueKind::kText) return std::string(v.text);
  if (v.kind == ValueKind::kEnum) return StrCat("#", v.rank);
  return std::nullopt;
}

std::optional<std::string> KeyOf(const Scalar& s) {
  if (s.kind == ValueKind::kText) return s.text;
  if (s.kind == ValueKind::kEnum) return StrCat("#", s.rank);
  return std::nullopt;
}

bool IsIndexableField(const FieldRef& f) {
  return f.type() == FieldType::kText || f.type() == FieldType::kStatus ||
         f.type() == FieldType::kPriority;
}

// The guard predicates of a rule: top-level conjuncts `is` / `in` on text or
// enum fields, compared case-sensitively.
std::vector<const CompiledPredicate*> Guards(const CompiledRule& rule) {
  std::vector<const CompiledPredicate*> out;
  if (!rule.condition) return out;
  auto consider = [&](const CompiledCondition& c) {
    if (c.kind != CompiledCondition::Kind::kPredicate) return;
    const CompiledPredicate& p = *c.predicate;
    if (!IsIndexableField(p.field) || p.ignore_case) return;
    if (p.op == Op::kIs || p.op == Op::kIn) out.push_back(&p);
  };
  if (rule.condition->kind == CompiledCondition::Kind::kAll) {
    for (const auto& child : rule.condition->children) consider(child);
  } else {
    consider(*rule.condition);
  }
  return out;
}

}  // namespace

RuleBitset::RuleBitset(size_t size, bool value)
    : words_((size + 63) / 64, value ? ~uint64_t{0} : 0), size_(size) {
  if (value && size % 64 != 0) words_.back() = (uint64_t{1} << (size % 64)) - 1;
}

void RuleBitset::AndWith(const RuleBitset& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= other.words_[i];
}

void RuleBitset::AndWithUnion(const RuleBitset& a, const RuleBitset& b) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= a.words_[i] | b.words_[i];
}

void RuleBitset::AndNot(const RuleBitset& other) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= ~other.words_[i];
}

size_t RuleBitset::NextSet(size_t from) const {
  if (from >= size_) return size_;
  size_t w = from >> 6;
  uint64_t word = words_[w] & (~uint64_t{0} << (from & 63));
  while (true) {
    if (word != 0) return std::min(size_, (w << 6) + std::countr_zero(word));
    if (++w >= words_.size()) return size_;
    word = words_[w];
  }
}

void RuleIndex::Build(const std::vector<const CompiledRule*>& rules) {
  size_ = rules.size();
  fields_.clear();
  // field path -> (rule position -> its first guard on that field)
  std::map<std::string, std::vector<std::pair<size_t, const CompiledPredicate*>>> guards;
  for (size_t i = 0; i < rules.size(); ++i) {
    std::vector<std::string> seen;
    for (const CompiledPredicate* p : Guards(*rules[i])) {
      if (std::find(seen.begin(), seen.end(), p->field.path()) != seen.end()) continue;
      seen.push_back(p->field.path());
      guards[p->field.path()].push_back({i, p});
    }
  }
  // Index the fields that guard the most rules.
  std::vector<std::pair<size_t, std::string>> by_count;
  for (const auto& [path, list] : guards) by_count.push_back({list.size(), path});
  std::sort(by_count.rbegin(), by_count.rend());
  if (by_count.size() > kMaxIndexedFields) by_count.resize(kMaxIndexedFields);
  for (const auto& [count, path] : by_count) {
    const auto& list = guards[path];
    FieldIndex index{list.front().second->field, {}, RuleBitset(size_, true)};
    for (const auto& [position, predicate] : list) {
      index.unguarded.Reset(position);
      // Captured by name: clang before 16 cannot capture structured bindings.
      auto add = [&index, this, rule = position](const Scalar& s) {
        auto key = KeyOf(s);
        if (!key) return;
        auto [it, inserted] = index.by_value.try_emplace(*key, size_);
        it->second.Set(rule);
      };
      if (predicate->op == Op::kIs) {
        add(predicate->scalar);
      } else {
        for (const auto& s : predicate->set) add(s);
      }
    }
    fields_.push_back(std::move(index));
  }
}

void RuleIndex::Candidates(const EvalInput& input, RuleBitset* out) const {
  *out = RuleBitset(size_, true);
  for (const auto& f : fields_) {
    const FieldValue v = f.field.Get(input, *input.ticket);
    const RuleBitset* matching = nullptr;
    if (auto k = KeyOf(v)) {
      auto it = f.by_value.find(*k);
      if (it != f.by_value.end()) matching = &it->second;
    }
    if (matching != nullptr) {
      out->AndWithUnion(f.unguarded, *matching);
    } else {
      out->AndWith(f.unguarded);
    }
  }
}

bool RuleOrder(const CompiledRule& a, const CompiledRule& b) {
  if (a.rule.position() != b.rule.position()) return a.rule.position() < b.rule.position();
  return a.rule.id() < b.rule.id();
}

RuleSet::RuleSet(std::vector<std::shared_ptr<const CompiledRule>> rules)
    : rules_(std::move(rules)) {
  std::sort(rules_.begin(), rules_.end(),
            [](const auto& a, const auto& b) { return RuleOrder(*a, *b); });
  for (const auto& rule : rules_) {
    if (!rule->enabled()) continue;
    for (const auto& type : rule->rule.trigger().event_types()) {
      by_type_[type].rules.push_back(rule.get());
    }
  }
  for (auto& [type, type_rules] : by_type_) type_rules.index.Build(type_rules.rules);
}

const TypeRules* RuleSet::ForEventType(std::string_view event_type) const {
  auto it = by_type_.find(std::string(event_type));
  return it == by_type_.end() ? nullptr : &it->second;
}

}  // namespace triggerfish::server::engine
