// Validation and compilation of condition trees (see condition.h).

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "server/common/strings.h"

#include "server/engine/condition.h"
#include "server/engine/text.h"

namespace triggerfish::server::engine {
namespace {

using google::protobuf::Value;

constexpr std::array<std::pair<std::string_view, Op>, 22> kOps = {{
    {"is", Op::kIs},
    {"is_not", Op::kIsNot},
    {"less_than", Op::kLessThan},
    {"less_than_or_equal", Op::kLessThanOrEqual},
    {"greater_than", Op::kGreaterThan},
    {"greater_than_or_equal", Op::kGreaterThanOrEqual},
    {"contains", Op::kContains},
    {"not_contains", Op::kNotContains},
    {"starts_with", Op::kStartsWith},
    {"ends_with", Op::kEndsWith},
    {"matches", Op::kMatches},
    {"in", Op::kIn},
    {"not_in", Op::kNotIn},
    {"includes_any", Op::kIncludesAny},
    {"includes_all", Op::kIncludesAll},
    {"includes_none", Op::kIncludesNone},
    {"present", Op::kPresent},
    {"absent", Op::kAbsent},
    {"changed", Op::kChanged},
    {"changed_from", Op::kChangedFrom},
    {"changed_to", Op::kChangedTo},
    {"not_changed", Op::kNotChanged},
}};

std::string OpList() {
  std::vector<std::string_view> names;
  for (const auto& [name, op] : kOps) names.push_back(name);
  return StrJoin(names, ", ");
}

bool IsOrdering(Op op) {
  return op == Op::kLessThan || op == Op::kLessThanOrEqual || op == Op::kGreaterThan ||
         op == Op::kGreaterThanOrEqual;
}
bool IsTextOp(Op op) {
  return op == Op::kContains || op == Op::kNotContains || op == Op::kStartsWith ||
         op == Op::kEndsWith;
}
bool IsIncludes(Op op) {
  return op == Op::kIncludesAny || op == Op::kIncludesAll || op == Op::kIncludesNone;
}
bool TakesNoValue(Op op) {
  return op == Op::kPresent || op == Op::kAbsent || op == Op::kChanged || op == Op::kNotChanged;
}

std::string_view KindName(const Value& v) {
  switch (v.kind_case()) {
    case Value::kStringValue:
      return "a string";
    case Value::kNumberValue:
      return "a number";
    case Value::kBoolValue:
      return "a bool";
    case Value::kListValue:
      return "a list";
    case Value::kStructValue:
      return "an object";
    case Value::kNullValue:
      return "null";
    default:
      return "nothing";
  }
}

class Compiler {
 public:
  Compiler(std::string_view prefix, const RuleLimits& limits, Violations* violations)
      : prefix_(prefix), limits_(limits), violations_(violations) {}

  std::optional<CompiledCondition> Compile(const v1::Condition& condition, std::string path,
                                           int depth) {
    if (depth > limits_.max_condition_depth) {
      Fail(path, StrCat("condition is nested deeper than the limit of ",
                        limits_.max_condition_depth, " levels (limits.max_condition_depth)"));
      return std::nullopt;
    }
    const int members = (condition.all_size() > 0) + (condition.any_size() > 0) +
                        condition.has_not_() + condition.has_predicate();
    if (members != 1) {
      Fail(path, members == 0 ? "empty condition: set one of all, any, not, predicate"
                              : "set exactly one of all, any, not, predicate");
      return std::nullopt;
    }
    CompiledCondition out;
    out.path = path;
    if (condition.all_size() > 0 || condition.any_size() > 0) {
      const bool all = condition.all_size() > 0;
      out.kind = all ? CompiledCondition::Kind::kAll : CompiledCondition::Kind::kAny;
      const auto& children = all ? condition.all() : condition.any();
      bool ok = true;
      for (int i = 0; i < children.size(); ++i) {
        auto child = Compile(children[i], StrCat(path, all ? ".all[" : ".any[", i, "]"), depth + 1);
        if (!child) {
          ok = false;
          continue;
        }
        out.children.push_back(std::move(*child));
      }
      if (!ok) return std::nullopt;
      return out;
    }
    if (condition.has_not_()) {
      out.kind = CompiledCondition::Kind::kNot;
      auto child = Compile(condition.not_(), path + ".not", depth + 1);
      if (!child) return std::nullopt;
      out.children.push_back(std::move(*child));
      return out;
    }
    out.kind = CompiledCondition::Kind::kPredicate;
    if (++predicates_ > limits_.max_predicates) {
      if (predicates_ == limits_.max_predicates + 1) {
        Fail(path, StrCat("condition has more than the limit of ", limits_.max_predicates,
                          " predicates (limits.max_predicates)"));
      }
      return std::nullopt;
    }
    auto predicate = CompilePredicate(condition.predicate(), path + ".predicate");
    if (!predicate) return std::nullopt;
    out.predicate = std::move(predicate);
    return out;
  }

 private:
  void Fail(const std::string& path, std::string description) {
    violations_->Add(StrCat(prefix_, path), std::move(description));
  }

  std::shared_ptr<CompiledPredicate> CompilePredicate(const v1::Predicate& p,
                                                      const std::string& path) {
    auto out = std::make_shared<CompiledPredicate>();
    bool ok = true;
    std::optional<FieldRef> field;
    if (p.field().empty()) {
      Fail(path + ".field", "required");
      ok = false;
    } else if (field = FieldRef::Resolve(p.field()); !field) {
      std::string suggestion = SuggestField(p.field());
      Fail(path + ".field",
           StrCat("unknown field \"", p.field(), "\"",
                  suggestion.empty() ? "" : StrCat("; did you mean \"", suggestion, "\"?")));
      ok = false;
    }
    std::optional<Op> op;
    if (p.operator_().empty()) {
      Fail(path + ".operator", StrCat("required; one of ", OpList()));
      ok = false;
    } else if (op = ParseOp(p.operator_()); !op) {
      Fail(path + ".operator",
           StrCat("unknown operator \"", p.operator_(), "\"; one of ", OpList()));
      ok = false;
    }
    if (!ok) return nullptr;
    out->field = *field;
    out->op = *op;
    out->ignore_case = p.ignore_case();
    out->expected = p.value();
    if (!CheckOperator(*field, *op, path + ".operator")) return nullptr;
    if (!CompileValue(p, out.get(), path + ".value")) return nullptr;
    return out;
  }

  // Whether `op` applies to the field's type.
  bool CheckOperator(const FieldRef& field, Op op, const std::string& path) {
    const FieldType t = field.type();
    auto reject = [&](std::string_view why) {
      Fail(path, StrCat("operator \"", OpName(op), "\" does not apply to ", field.path(), " (",
                        FieldTypeName(t), ")", why.empty() ? "" : "; ", why));
      return false;
    };
    if (op == Op::kPresent || op == Op::kAbsent) return true;
    if (op == Op::kChanged || op == Op::kNotChanged || op == Op::kChangedFrom ||
        op == Op::kChangedTo) {
      if (!field.is_ticket_field()) return reject("changes are tracked for ticket fields only");
      if (field.is_computed()) return reject("it is computed, not stored");
      if ((op == Op::kChangedFrom || op == Op::kChangedTo) && t == FieldType::kTags) {
        return reject("use changed, or includes_* on the tags");
      }
      return true;
    }
    if (IsOrdering(op)) {
      if (t == FieldType::kNumber || t == FieldType::kTimestamp || t == FieldType::kStatus ||
          t == FieldType::kPriority || t == FieldType::kDynamic) {
        return true;
      }
      return reject("ordering applies to numbers, timestamps, status and priority");
    }
    if (IsTextOp(op) || op == Op::kMatches) {
      if (t == FieldType::kText || t == FieldType::kDynamic) return true;
      return reject("it applies to text");
    }
    if (IsIncludes(op)) {
      if (t == FieldType::kTags || t == FieldType::kDynamic) return true;
      return reject("it applies to lists such as ticket.tags");
    }
    // is, is_not, in, not_in
    if (t == FieldType::kTags) return reject("use includes_any, includes_all or includes_none");
    return true;
  }

  bool CompileValue(const v1::Predicate& p, CompiledPredicate* out, const std::string& path) {
    const Value& v = p.value();
    const Op op = out->op;
    if (TakesNoValue(op)) {
      if (v.kind_case() != Value::KIND_NOT_SET && v.kind_case() != Value::kNullValue) {
        Fail(path, StrCat("must be omitted for operator \"", OpName(op), "\""));
        return false;
      }
      return true;
    }
    if (v.kind_case() == Value::KIND_NOT_SET) {
      Fail(path, StrCat("required for operator \"", OpName(op), "\""));
      return false;
    }
    const FieldType t = out->field.type();
    if (op == Op::kIn || op == Op::kNotIn || IsIncludes(op)) {
      if (v.kind_case() != Value::kListValue) {
        Fail(path, StrCat("must be a list for operator \"", OpName(op), "\", got ", KindName(v)));
        return false;
      }
      const auto& values = v.list_value().values();
      if (values.size() > static_cast<int>(limits_.max_list_values)) {
        Fail(path, StrCat("list has ", values.size(), " values; the limit is ",
                          limits_.max_list_values, " (limits.max_list_values)"));
        return false;
      }
      bool ok = true;
      for (int i = 0; i < values.size(); ++i) {
        const std::string item_path = StrCat(path, "[", i, "]");
        if (IsIncludes(op)) {
          if (values[i].kind_case() != Value::kStringValue) {
            Fail(item_path, StrCat("must be a string, got ", KindName(values[i])));
            ok = false;
            continue;
          }
          if (!CheckLength(values[i].string_value(), item_path)) {
            ok = false;
            continue;
          }
          out->strings.push_back(out->ignore_case ? FoldCase(values[i].string_value())
                                                  : values[i].string_value());
        } else {
          auto scalar = ToScalar(t, values[i], out->ignore_case, item_path);
          if (!scalar) {
            ok = false;
            continue;
          }
          out->set.push_back(std::move(*scalar));
        }
      }
      std::sort(out->strings.begin(), out->strings.end());
      out->strings.erase(std::unique(out->strings.begin(), out->strings.end()), out->strings.end());
      return ok;
    }
    if (op == Op::kMatches) {
      if (v.kind_case() != Value::kStringValue || v.string_value().empty()) {
        Fail(path, StrCat("must be a non-empty regular expression string, got ", KindName(v)));
        return false;
      }
      if (v.string_value().size() > limits_.max_regex_length) {
        Fail(path,
             StrCat("regular expression is ", v.string_value().size(), " bytes; the limit is ",
                    limits_.max_regex_length, " (limits.max_regex_length)"));
        return false;
      }
      RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(limits_.regex_max_mem);
      options.set_case_sensitive(!out->ignore_case);
      out->regex = std::make_unique<RE2>(v.string_value(), options);
      if (!out->regex->ok()) {
        // RE2 refuses a program larger than max_mem with this code.
        const bool too_big = out->regex->error_code() == RE2::ErrorPatternTooLarge;
        Fail(path, StrCat("invalid regular expression: ", out->regex->error(),
                          too_big ? StrCat(" (compiled program over limits.regex_max_mem, ",
                                           limits_.regex_max_mem, " bytes)")
                                  : std::string()));
        return false;
      }
      return true;
    }
    if (IsTextOp(op)) {
      if (v.kind_case() != Value::kStringValue || v.string_value().empty()) {
        Fail(path, StrCat("must be a non-empty string, got ", KindName(v)));
        return false;
      }
      if (!CheckLength(v.string_value(), path)) return false;
      out->scalar.kind = ValueKind::kText;
      out->scalar.text = out->ignore_case ? FoldCase(v.string_value()) : v.string_value();
      return true;
    }
    if (IsOrdering(op) && t == FieldType::kDynamic) {
      if (v.kind_case() == Value::kNumberValue) return AssignScalar(t, v, out, path);
      if (v.kind_case() == Value::kStringValue) {
        auto micros = ParseTimestampMicros(v.string_value());
        if (!micros) {
          Fail(path, "must be a number or an RFC 3339 timestamp for ordering a custom field");
          return false;
        }
        out->scalar.kind = ValueKind::kTimestamp;
        out->scalar.micros = *micros;
        return true;
      }
      Fail(path, StrCat("must be a number or an RFC 3339 timestamp, got ", KindName(v)));
      return false;
    }
    return AssignScalar(t, v, out, path);
  }

  bool AssignScalar(FieldType t, const Value& v, CompiledPredicate* out, const std::string& path) {
    auto scalar = ToScalar(t, v, out->ignore_case, path);
    if (!scalar) return false;
    out->scalar = std::move(*scalar);
    return true;
  }

  bool CheckLength(const std::string& s, const std::string& path) {
    if (s.size() <= limits_.max_value_length) return true;
    Fail(path, StrCat("string is ", s.size(), " bytes; the limit is ", limits_.max_value_length,
                      " (limits.max_value_length)"));
    return false;
  }

  // Converts an expected value to the representation of a field of type `t`.
  std::optional<Scalar> ToScalar(FieldType t, const Value& v, bool ignore_case,
                                 const std::string& path) {
    Scalar s;
    auto wrong = [&](std::string_view expected) {
      Fail(path, StrCat("must be ", expected, ", got ", KindName(v)));
      return std::nullopt;
    };
    switch (t) {
      case FieldType::kText:
        if (v.kind_case() != Value::kStringValue) return wrong("a string");
        if (v.string_value().empty()) {
          Fail(path,
               "must be a non-empty string; an empty field is absent (use the absent "
               "operator)");
          return std::nullopt;
        }
        if (!CheckLength(v.string_value(), path)) return std::nullopt;
        s.kind = ValueKind::kText;
        s.text = ignore_case ? FoldCase(v.string_value()) : v.string_value();
        return s;
      case FieldType::kBool:
        if (v.kind_case() != Value::kBoolValue) return wrong("a bool");
        s.kind = ValueKind::kBool;
        s.boolean = v.bool_value();
        return s;
      case FieldType::kNumber:
        if (v.kind_case() != Value::kNumberValue) return wrong("a number");
        if (!std::isfinite(v.number_value())) return wrong("a finite number");
        s.kind = ValueKind::kNumber;
        s.number = v.number_value();
        return s;
      case FieldType::kTimestamp: {
        if (v.kind_case() != Value::kStringValue) return wrong("an RFC 3339 timestamp string");
        auto micros = ParseTimestampMicros(v.string_value());
        if (!micros) {
          Fail(path, StrCat("\"", v.string_value(),
                            "\" is not an RFC 3339 timestamp (e.g. 2026-01-31T09:00:00Z)"));
          return std::nullopt;
        }
        s.kind = ValueKind::kTimestamp;
        s.micros = *micros;
        return s;
      }
      case FieldType::kStatus:
      case FieldType::kPriority: {
        const bool status = t == FieldType::kStatus;
        const char* names =
            status ? "new, open, pending, on_hold, solved, closed" : "low, normal, high, urgent";
        if (v.kind_case() != Value::kStringValue) {
          return wrong(StrCat("a string (one of ", names, ")"));
        }
        auto rank = status ? ParseStatus(v.string_value()) : ParsePriority(v.string_value());
        if (!rank) {
          Fail(path, StrCat("unknown ", status ? "status" : "priority", " \"", v.string_value(),
                            "\"; one of ", names));
          return std::nullopt;
        }
        s.kind = ValueKind::kEnum;
        s.rank = *rank;
        return s;
      }
      case FieldType::kDynamic:
        switch (v.kind_case()) {
          case Value::kStringValue:
            if (!CheckLength(v.string_value(), path)) return std::nullopt;
            s.kind = ValueKind::kText;
            s.text = ignore_case ? FoldCase(v.string_value()) : v.string_value();
            return s;
          case Value::kNumberValue:
            if (!std::isfinite(v.number_value())) return wrong("a finite number");
            s.kind = ValueKind::kNumber;
            s.number = v.number_value();
            return s;
          case Value::kBoolValue:
            s.kind = ValueKind::kBool;
            s.boolean = v.bool_value();
            return s;
          default:
            return wrong("a string, number or bool");
        }
      case FieldType::kTags:
        break;
    }
    return wrong("a scalar");
  }

  std::string prefix_;
  const RuleLimits& limits_;
  Violations* violations_;
  int predicates_ = 0;
};

}  // namespace

std::optional<Op> ParseOp(std::string_view name) {
  for (const auto& [n, op] : kOps) {
    if (n == name) return op;
  }
  return std::nullopt;
}

std::string_view OpName(Op op) {
  for (const auto& [n, o] : kOps) {
    if (o == op) return n;
  }
  return "unknown";
}

std::optional<CompiledCondition> CompileCondition(const v1::Condition& condition,
                                                  std::string_view prefix, const RuleLimits& limits,
                                                  Violations* violations) {
  const size_t before = violations->size();
  Compiler compiler(prefix, limits, violations);
  auto out = compiler.Compile(condition, "condition", 1);
  if (violations->size() != before) return std::nullopt;
  return out;
}

}  // namespace triggerfish::server::engine
