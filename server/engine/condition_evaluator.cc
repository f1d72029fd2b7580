// Evaluation and explanation of compiled conditions (see condition.h).

#include <algorithm>

#include "server/common/strings.h"
#include "server/engine/condition.h"
#include "server/engine/text.h"

namespace triggerfish::server::engine {
namespace {

// Receives the details of a predicate's evaluation when explaining.
struct Trace {
  FieldValue actual;
  FieldValue previous;
  bool has_previous = false;
  std::string note;
};

void Note(Trace* trace, std::string note) {
  if (trace != nullptr && trace->note.empty()) trace->note = std::move(note);
}

std::string_view ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kText:
      return "a string";
    case ValueKind::kNumber:
      return "a number";
    case ValueKind::kBool:
      return "a bool";
    case ValueKind::kTimestamp:
      return "a timestamp";
    case ValueKind::kEnum:
      return "an enum";
    case ValueKind::kList:
      return "a list";
    case ValueKind::kOther:
      return "an object";
    case ValueKind::kAbsent:
      break;
  }
  return "nothing";
}

// Text of `v` compared by the predicate: folded when ignoring case.
std::string_view TextOf(const CompiledPredicate& p, const FieldValue& v, std::string* storage) {
  if (!p.ignore_case) return v.text;
  *storage = FoldCase(v.text);
  return *storage;
}

// Equality of an actual value with an expected scalar; nullopt when their
// types differ (a mistyped custom field).
std::optional<bool> ScalarEquals(const CompiledPredicate& p, const FieldValue& actual,
                                 const Scalar& expected) {
  switch (expected.kind) {
    case ValueKind::kText: {
      if (actual.kind != ValueKind::kText) return std::nullopt;
      std::string storage;
      return TextOf(p, actual, &storage) == expected.text;
    }
    case ValueKind::kNumber:
      if (actual.kind != ValueKind::kNumber) return std::nullopt;
      return actual.number == expected.number;
    case ValueKind::kBool:
      if (actual.kind != ValueKind::kBool) return std::nullopt;
      return actual.boolean == expected.boolean;
    case ValueKind::kTimestamp:
      if (actual.kind != ValueKind::kTimestamp) return std::nullopt;
      return actual.micros == expected.micros;
    case ValueKind::kEnum:
      if (actual.kind != ValueKind::kEnum) return std::nullopt;
      return actual.rank == expected.rank;
    default:
      return std::nullopt;
  }
}

// Three-way comparison for ordering operators; nullopt on a type mismatch.
std::optional<int> Compare(const FieldValue& actual, const Scalar& expected, Trace* trace) {
  auto three_way = [](auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); };
  switch (expected.kind) {
    case ValueKind::kNumber:
      if (actual.kind == ValueKind::kNumber) return three_way(actual.number, expected.number);
      break;
    case ValueKind::kEnum:
      if (actual.kind == ValueKind::kEnum) return three_way(actual.rank, expected.rank);
      break;
    case ValueKind::kTimestamp:
      if (actual.kind == ValueKind::kTimestamp) return three_way(actual.micros, expected.micros);
      if (actual.kind == ValueKind::kText) {  // a custom field holding a timestamp string
        auto micros = ParseTimestampMicros(actual.text);
        if (micros) return three_way(*micros, expected.micros);
        Note(trace, "custom field holds a string that is not an RFC 3339 timestamp");
        return std::nullopt;
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

// Calls `fn(std::string_view)` for each string of a list value; returns false
// when the list holds a non-string.
template <typename Fn>
bool ForEachString(const FieldValue& v, Fn&& fn) {
  if (v.tags != nullptr) {
    for (const auto& s : *v.tags) fn(std::string_view(s));
    return true;
  }
  bool all_strings = true;
  if (v.list != nullptr) {
    for (const auto& item : v.list->values()) {
      if (item.kind_case() == google::protobuf::Value::kStringValue) {
        fn(std::string_view(item.string_value()));
      } else {
        all_strings = false;
      }
    }
  }
  return all_strings;
}

bool Includes(const CompiledPredicate& p, const FieldValue& actual, Trace* trace) {
  // Which expected strings the list holds.
  std::vector<bool> seen(p.strings.size(), false);
  std::string storage;
  const bool all_strings = ForEachString(actual, [&](std::string_view item) {
    std::string_view key = item;
    if (p.ignore_case) {
      storage = FoldCase(item);
      key = storage;
    }
    auto it = std::lower_bound(p.strings.begin(), p.strings.end(), key);
    if (it != p.strings.end() && *it == key) seen[it - p.strings.begin()] = true;
  });
  if (!all_strings) Note(trace, "list holds values that are not strings; they are ignored");
  const auto hits = std::count(seen.begin(), seen.end(), true);
  switch (p.op) {
    case Op::kIncludesAny:
      return hits > 0;
    case Op::kIncludesAll:
      return hits == static_cast<long>(p.strings.size());
    default:  // includes_none
      return hits == 0;
  }
}

// Equality of two values of the same field (for changed*): absent equals
// absent; lists compare as multisets.
bool SameValue(const FieldValue& a, const FieldValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kAbsent:
      return true;
    case ValueKind::kBool:
      return a.boolean == b.boolean;
    case ValueKind::kNumber:
      return a.number == b.number;
    case ValueKind::kText:
      return a.text == b.text;
    case ValueKind::kTimestamp:
      return a.micros == b.micros;
    case ValueKind::kEnum:
      return a.rank == b.rank;
    case ValueKind::kList: {
      std::vector<std::string_view> x, y;
      const bool xs = ForEachString(a, [&](std::string_view s) { x.push_back(s); });
      const bool ys = ForEachString(b, [&](std::string_view s) { y.push_back(s); });
      if (!xs || !ys)
        return ToProtoValue(a).SerializeAsString() == ToProtoValue(b).SerializeAsString();
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      return x == y;
    }
    case ValueKind::kOther:
      return ToProtoValue(a).SerializeAsString() == ToProtoValue(b).SerializeAsString();
  }
  return false;
}

bool EvaluateChange(const CompiledPredicate& p, const EvalInput& in, const FieldValue& current,
                    Trace* trace) {
  if (in.previous == nullptr) {
    Note(trace, "event has no previous ticket, so no change can be seen");
    return false;
  }
  const FieldValue before = p.field.Get(in, *in.previous);
  if (trace != nullptr) {
    trace->previous = before;
    trace->has_previous = true;
  }
  const bool same = SameValue(current, before);
  switch (p.op) {
    case Op::kChanged:
      return !same;
    case Op::kNotChanged:
      return same;
    case Op::kChangedFrom:
    case Op::kChangedTo: {
      if (same) return false;
      const FieldValue& side = p.op == Op::kChangedFrom ? before : current;
      if (side.kind == ValueKind::kAbsent) return false;
      return ScalarEquals(p, side, p.scalar).value_or(false);
    }
    default:
      return false;
  }
}

bool EvaluatePredicate(const CompiledPredicate& p, const EvalInput& in, Trace* trace) {
  const FieldValue actual = p.field.Get(in, *in.ticket);
  if (trace != nullptr) trace->actual = actual;
  switch (p.op) {
    case Op::kPresent:
      return actual.kind != ValueKind::kAbsent;
    case Op::kAbsent:
      return actual.kind == ValueKind::kAbsent;
    case Op::kChanged:
    case Op::kNotChanged:
    case Op::kChangedFrom:
    case Op::kChangedTo:
      return EvaluateChange(p, in, actual, trace);
    default:
      break;
  }
  if (actual.kind == ValueKind::kAbsent) {
    // An empty tag list is still a list: includes_none holds, includes_any
    // not, includes_all only of nothing.
    if (p.field.type() == FieldType::kTags) return Includes(p, actual, trace);
    Note(trace, "field is absent");
    return false;
  }
  auto mismatch = [&](std::string_view expected) {
    Note(trace,
         StrCat("field holds ", ValueKindName(actual.kind), ", the rule expects ", expected));
    return false;
  };
  switch (p.op) {
    case Op::kIs:
    case Op::kIsNot: {
      auto eq = ScalarEquals(p, actual, p.scalar);
      if (!eq) return mismatch(ValueKindName(p.scalar.kind));
      return p.op == Op::kIs ? *eq : !*eq;
    }
    case Op::kLessThan:
    case Op::kLessThanOrEqual:
    case Op::kGreaterThan:
    case Op::kGreaterThanOrEqual: {
      auto c = Compare(actual, p.scalar, trace);
      if (!c) return mismatch(ValueKindName(p.scalar.kind));
      switch (p.op) {
        case Op::kLessThan:
          return *c < 0;
        case Op::kLessThanOrEqual:
          return *c <= 0;
        case Op::kGreaterThan:
          return *c > 0;
        default:
          return *c >= 0;
      }
    }
    case Op::kContains:
    case Op::kNotContains:
    case Op::kStartsWith:
    case Op::kEndsWith: {
      if (actual.kind != ValueKind::kText) return mismatch("a string");
      std::string storage;
      const std::string_view text = TextOf(p, actual, &storage);
      const std::string& needle = p.scalar.text;
      switch (p.op) {
        case Op::kContains:
          return text.find(needle) != std::string_view::npos;
        case Op::kNotContains:
          return text.find(needle) == std::string_view::npos;
        case Op::kStartsWith:
          return text.starts_with(needle);
        default:
          return text.ends_with(needle);
      }
    }
    case Op::kMatches:
      if (actual.kind != ValueKind::kText) return mismatch("a string");
      return RE2::PartialMatch(actual.text, *p.regex);
    case Op::kIn:
    case Op::kNotIn: {
      bool found = false;
      bool any_typed = false;
      for (const auto& item : p.set) {
        auto eq = ScalarEquals(p, actual, item);
        if (!eq) continue;
        any_typed = true;
        if (*eq) {
          found = true;
          break;
        }
      }
      if (!any_typed && !p.set.empty()) return mismatch("values of another type");
      return p.op == Op::kIn ? found : !found;
    }
    case Op::kIncludesAny:
    case Op::kIncludesAll:
    case Op::kIncludesNone:
      if (actual.kind != ValueKind::kList) return mismatch("a list");
      return Includes(p, actual, trace);
    default:
      return false;
  }
}

}  // namespace

bool Evaluate(const CompiledCondition& c, const EvalInput& in) {
  switch (c.kind) {
    case CompiledCondition::Kind::kAll:
      for (const auto& child : c.children) {
        if (!Evaluate(child, in)) return false;
      }
      return true;
    case CompiledCondition::Kind::kAny:
      for (const auto& child : c.children) {
        if (Evaluate(child, in)) return true;
      }
      return false;
    case CompiledCondition::Kind::kNot:
      return !Evaluate(c.children.front(), in);
    case CompiledCondition::Kind::kPredicate:
      return EvaluatePredicate(*c.predicate, in, nullptr);
  }
  return false;
}

namespace {

// Longest text an explanation repeats. A ticket's description can be
// megabytes, and every predicate that reads it would repeat it: the
// response would outgrow max_message_bytes and fail as a whole.
constexpr size_t kMaxExplainedText = 1024;

// `value` for an explanation, long text cut at a UTF-8 boundary and marked.
google::protobuf::Value Explained(const FieldValue& value) {
  google::protobuf::Value out = ToProtoValue(value);
  if (out.kind_case() == google::protobuf::Value::kStringValue &&
      out.string_value().size() > kMaxExplainedText) {
    const size_t full = out.string_value().size();
    size_t cut = kMaxExplainedText;
    while (cut > 0 && (static_cast<unsigned char>(out.string_value()[cut]) & 0xC0) == 0x80) --cut;
    std::string text = out.string_value().substr(0, cut);
    text += StrCat("... (", full, " bytes, cut to ", cut, " in this explanation)");
    out.set_string_value(std::move(text));
  }
  return out;
}

}  // namespace

v1::ConditionExplanation Explain(const CompiledCondition& c, const EvalInput& in) {
  v1::ConditionExplanation out;
  out.set_path(c.path);
  switch (c.kind) {
    case CompiledCondition::Kind::kAll:
    case CompiledCondition::Kind::kAny: {
      const bool all = c.kind == CompiledCondition::Kind::kAll;
      out.set_kind(all ? "all" : "any");
      bool result = all;
      for (const auto& child : c.children) {
        auto* e = out.add_children();
        *e = Explain(child, in);
        result = all ? (result && e->result()) : (result || e->result());
      }
      out.set_result(result);
      break;
    }
    case CompiledCondition::Kind::kNot: {
      out.set_kind("not");
      auto* e = out.add_children();
      *e = Explain(c.children.front(), in);
      out.set_result(!e->result());
      break;
    }
    case CompiledCondition::Kind::kPredicate: {
      out.set_kind("predicate");
      Trace trace;
      const CompiledPredicate& p = *c.predicate;
      const bool result = EvaluatePredicate(p, in, &trace);
      auto* pe = out.mutable_predicate();
      pe->set_field(p.field.path());
      pe->set_operator_(std::string(OpName(p.op)));
      pe->set_ignore_case(p.ignore_case);
      if (trace.actual.kind != ValueKind::kAbsent) *pe->mutable_actual() = Explained(trace.actual);
      if (p.expected.kind_case() != google::protobuf::Value::KIND_NOT_SET) {
        *pe->mutable_expected() = p.expected;
      }
      if (trace.has_previous && trace.previous.kind != ValueKind::kAbsent) {
        *pe->mutable_previous() = Explained(trace.previous);
      }
      pe->set_result(result);
      pe->set_note(trace.note);
      out.set_result(result);
      break;
    }
  }
  return out;
}

namespace {

std::string Render(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return StrCat("\"", v.string_value(), "\"");
    case google::protobuf::Value::kNumberValue:
      return StrCat(v.number_value());
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kListValue: {
      std::string out = "[";
      for (int i = 0; i < v.list_value().values_size(); ++i) {
        StrAppend(&out, i ? ", " : "", Render(v.list_value().values(i)));
      }
      return out + "]";
    }
    case google::protobuf::Value::KIND_NOT_SET:
      return "absent";
    default:
      return "null";
  }
}

// The first node on the deciding path of a condition that is false (for a
// false `not`, its child held).
const v1::ConditionExplanation* Decisive(const v1::ConditionExplanation& e) {
  if (e.kind() == "predicate") return &e;
  if (e.kind() == "all") {
    for (const auto& child : e.children()) {
      if (!child.result()) return Decisive(child);
    }
  }
  return &e;
}

}  // namespace

std::string SummarizeFailure(const v1::ConditionExplanation& explanation) {
  const v1::ConditionExplanation* node = Decisive(explanation);
  if (node->kind() != "predicate") {
    if (node->kind() == "any") return StrCat(node->path(), ": none of the alternatives held");
    if (node->kind() == "not") return StrCat(node->path(), ": the negated condition held");
    return StrCat(node->path(), ": did not hold");
  }
  const auto& p = node->predicate();
  std::string out = StrCat(node->path(), ": ", p.field(), " ", p.operator_());
  if (p.ignore_case()) StrAppend(&out, " (ignoring case)");
  if (p.expected().kind_case() != google::protobuf::Value::KIND_NOT_SET) {
    StrAppend(&out, " ", Render(p.expected()));
  }
  StrAppend(&out, " is false (actual ", Render(p.actual()));
  if (p.has_previous()) StrAppend(&out, ", previous ", Render(p.previous()));
  StrAppend(&out, ")");
  if (!p.note().empty()) StrAppend(&out, ": ", p.note());
  return out;
}

}  // namespace triggerfish::server::engine
