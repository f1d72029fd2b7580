#include "server/engine/field.h"

#include <algorithm>
#include <array>

#include "google/protobuf/util/time_util.h"
#include "server/engine/text.h"

namespace triggerfish::server::engine {
namespace {

using google::protobuf::util::TimeUtil;
using v1::Ticket;

constexpr std::string_view kCustomPrefix = "ticket.custom_fields.";

constexpr std::array<std::string_view, 7> kStatusNames = {
    "unspecified", "new", "open", "pending", "on_hold", "solved", "closed"};
constexpr std::array<std::string_view, 5> kPriorityNames = {"unspecified", "low", "normal", "high",
                                                            "urgent"};

FieldValue Text(std::string_view s) {
  FieldValue v;
  if (!s.empty()) {
    v.kind = ValueKind::kText;
    v.text = s;
  }
  return v;
}

FieldValue Timestamp(const google::protobuf::Timestamp& ts, bool has) {
  FieldValue v;
  if (has) {
    v.kind = ValueKind::kTimestamp;
    v.micros = ts.seconds() * 1'000'000 + ts.nanos() / 1000;
  }
  return v;
}

FieldValue Enum(int rank, FieldType type) {
  FieldValue v;
  if (rank != 0) {
    v.kind = ValueKind::kEnum;
    v.rank = rank;
    v.enum_type = type;
  }
  return v;
}

FieldValue HoursSince(const EvalInput& in, const google::protobuf::Timestamp& ts, bool has) {
  FieldValue v;
  if (has) {
    const int64_t micros = ts.seconds() * 1'000'000 + ts.nanos() / 1000;
    v.kind = ValueKind::kNumber;
    v.number = static_cast<double>(in.now_micros - micros) / 3'600'000'000.0;
  }
  return v;
}

FieldValue FromProtoValue(const google::protobuf::Value& value) {
  FieldValue v;
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      v.kind = ValueKind::kText;
      v.text = value.string_value();
      break;
    case google::protobuf::Value::kNumberValue:
      v.kind = ValueKind::kNumber;
      v.number = value.number_value();
      break;
    case google::protobuf::Value::kBoolValue:
      v.kind = ValueKind::kBool;
      v.boolean = value.bool_value();
      break;
    case google::protobuf::Value::kListValue:
      v.kind = ValueKind::kList;
      v.list = &value.list_value();
      break;
    case google::protobuf::Value::kStructValue:
      v.kind = ValueKind::kOther;
      break;
    default:  // null or unset: absent
      break;
  }
  return v;
}

struct FieldDef {
  std::string_view path;
  FieldType type;
  bool ticket_field;
  bool computed;
  FieldRef::Getter getter;
};

// field_bits read by each field path; fields not listed read no ticket data
// that a patch can change.
uint64_t ReadsOf(std::string_view path) {
  using namespace field_bits;
  if (path == "ticket.subject") return kSubject;
  if (path == "ticket.status") return kStatus;
  if (path == "ticket.priority") return kPriority;
  if (path == "ticket.type") return kType;
  if (path == "ticket.tags") return kTags;
  if (path == "ticket.assignee_id") return kAssignee;
  if (path == "ticket.group_id") return kGroup;
  return 0;
}

#define TICKET_TEXT(name, expr)                                                   \
  FieldDef {                                                                      \
    name, FieldType::kText, true, false,                                          \
        [](const EvalInput&, const Ticket& t, const std::string&) -> FieldValue { \
          return Text(expr);                                                      \
        }                                                                         \
  }

const std::vector<FieldDef>& Defs() {
  static const std::vector<FieldDef> defs = {
      TICKET_TEXT("ticket.id", t.id()),
      TICKET_TEXT("ticket.subject", t.subject()),
      TICKET_TEXT("ticket.description", t.description()),
      {"ticket.status", FieldType::kStatus, true, false,
       [](const EvalInput&, const Ticket& t, const std::string&) {
         return Enum(t.status(), FieldType::kStatus);
       }},
      {"ticket.priority", FieldType::kPriority, true, false,
       [](const EvalInput&, const Ticket& t, const std::string&) {
         return Enum(t.priority(), FieldType::kPriority);
       }},
      TICKET_TEXT("ticket.type", t.type()),
      TICKET_TEXT("ticket.channel", t.channel()),
      {"ticket.tags", FieldType::kTags, true, false,
       [](const EvalInput&, const Ticket& t, const std::string&) {
         FieldValue v;
         if (!t.tags().empty()) {
           v.kind = ValueKind::kList;
           v.tags = &t.tags();
         }
         return v;
       }},
      TICKET_TEXT("ticket.requester.id", t.requester().id()),
      TICKET_TEXT("ticket.requester.email", t.requester().email()),
      TICKET_TEXT("ticket.requester.name", t.requester().name()),
      TICKET_TEXT("ticket.requester.organization", t.requester().organization()),
      TICKET_TEXT("ticket.assignee_id", t.assignee_id()),
      TICKET_TEXT("ticket.group_id", t.group_id()),
      {"ticket.created_at", FieldType::kTimestamp, true, false,
       [](const EvalInput&, const Ticket& t, const std::string&) {
         return Timestamp(t.created_at(), t.has_created_at());
       }},
      {"ticket.updated_at", FieldType::kTimestamp, true, false,
       [](const EvalInput&, const Ticket& t, const std::string&) {
         return Timestamp(t.updated_at(), t.has_updated_at());
       }},
      {"ticket.hours_since_created", FieldType::kNumber, true, true,
       [](const EvalInput& in, const Ticket& t, const std::string&) {
         return HoursSince(in, t.created_at(), t.has_created_at());
       }},
      {"ticket.hours_since_updated", FieldType::kNumber, true, true,
       [](const EvalInput& in, const Ticket& t, const std::string&) {
         return HoursSince(in, t.updated_at(), t.has_updated_at());
       }},
      {"comment.id", FieldType::kText, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         return in.event->has_comment() ? Text(in.event->comment().id()) : FieldValue{};
       }},
      {"comment.body", FieldType::kText, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         return in.event->has_comment() ? Text(in.event->comment().body()) : FieldValue{};
       }},
      {"comment.public", FieldType::kBool, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         FieldValue v;
         if (in.event->has_comment()) {
           v.kind = ValueKind::kBool;
           v.boolean = in.event->comment().public_();
         }
         return v;
       }},
      {"comment.author_id", FieldType::kText, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         return in.event->has_comment() ? Text(in.event->comment().author_id()) : FieldValue{};
       }},
      {"event.type", FieldType::kText, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         return Text(in.event->type());
       }},
      {"event.actor", FieldType::kText, false, false,
       [](const EvalInput& in, const Ticket&, const std::string&) {
         return Text(in.event->actor());
       }},
  };
  return defs;
}

#undef TICKET_TEXT

FieldValue CustomField(const EvalInput&, const Ticket& t, const std::string& key) {
  const auto& fields = t.custom_fields();
  auto it = fields.find(key);
  if (it == fields.end()) return {};
  return FromProtoValue(it->second);
}

bool ValidCustomKey(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<int> ParseName(std::string_view name, const auto& names) {
  const std::string folded = FoldCase(name);
  for (size_t i = 1; i < names.size(); ++i) {
    if (names[i] == folded) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace

std::optional<FieldRef> FieldRef::Resolve(std::string_view path) {
  FieldRef ref;
  ref.path_ = std::string(path);
  if (path.starts_with(kCustomPrefix)) {
    const std::string_view key = path.substr(kCustomPrefix.size());
    if (!ValidCustomKey(key)) return std::nullopt;
    ref.key_ = std::string(key);
    ref.reads_ = field_bits::CustomField(key);
    ref.type_ = FieldType::kDynamic;
    ref.ticket_field_ = true;
    ref.getter_ = &CustomField;
    return ref;
  }
  for (const auto& def : Defs()) {
    if (def.path == path) {
      ref.type_ = def.type;
      ref.ticket_field_ = def.ticket_field;
      ref.computed_ = def.computed;
      ref.reads_ = ReadsOf(def.path);
      ref.getter_ = def.getter;
      return ref;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& KnownFieldPaths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    for (const auto& def : Defs()) out.emplace_back(def.path);
    out.emplace_back("ticket.custom_fields.<name>");
    return out;
  }();
  return paths;
}

std::string SuggestField(std::string_view path) {
  std::string best;
  size_t best_distance = 4;  // suggest only close matches
  for (const auto& def : Defs()) {
    const size_t d = EditDistance(path, def.path);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(def.path);
    }
  }
  if (best.empty() && path.starts_with("ticket.custom_field")) best = "ticket.custom_fields.<name>";
  return best;
}

uint64_t field_bits::CustomField(std::string_view name) {
  return uint64_t{1} << (16 + std::hash<std::string_view>{}(name) % 48);
}

std::string_view StatusName(int rank) {
  return rank >= 0 && rank < static_cast<int>(kStatusNames.size()) ? kStatusNames[rank] : "unknown";
}
std::string_view PriorityName(int rank) {
  return rank >= 0 && rank < static_cast<int>(kPriorityNames.size()) ? kPriorityNames[rank]
                                                                     : "unknown";
}
std::optional<int> ParseStatus(std::string_view name) { return ParseName(name, kStatusNames); }
std::optional<int> ParsePriority(std::string_view name) { return ParseName(name, kPriorityNames); }

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kText:
      return "text";
    case FieldType::kBool:
      return "bool";
    case FieldType::kNumber:
      return "number";
    case FieldType::kTimestamp:
      return "timestamp";
    case FieldType::kStatus:
      return "status";
    case FieldType::kPriority:
      return "priority";
    case FieldType::kTags:
      return "list";
    case FieldType::kDynamic:
      return "custom field";
  }
  return "unknown";
}

google::protobuf::Value ToProtoValue(const FieldValue& value) {
  google::protobuf::Value out;
  switch (value.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kOther:
      break;
    case ValueKind::kBool:
      out.set_bool_value(value.boolean);
      break;
    case ValueKind::kNumber:
      out.set_number_value(value.number);
      break;
    case ValueKind::kText:
      out.set_string_value(std::string(value.text));
      break;
    case ValueKind::kTimestamp:
      out.set_string_value(FormatTimestampMicros(value.micros));
      break;
    case ValueKind::kEnum:
      out.set_string_value(std::string(value.enum_type == FieldType::kStatus
                                           ? StatusName(value.rank)
                                           : PriorityName(value.rank)));
      break;
    case ValueKind::kList:
      if (value.tags != nullptr) {
        auto* list = out.mutable_list_value();
        for (const auto& tag : *value.tags) list->add_values()->set_string_value(tag);
      } else if (value.list != nullptr) {
        *out.mutable_list_value() = *value.list;
      }
      break;
  }
  return out;
}

std::optional<int64_t> ParseTimestampMicros(std::string_view text) {
  google::protobuf::Timestamp ts;
  if (!TimeUtil::FromString(std::string(text), &ts)) return std::nullopt;
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

std::string FormatTimestampMicros(int64_t micros) {
  return TimeUtil::ToString(TimeUtil::MicrosecondsToTimestamp(micros));
}

}  // namespace triggerfish::server::engine
