#include "server/actions/plugin_json.h"

#include <cmath>

#include "google/protobuf/util/time_util.h"
#include "server/common/strings.h"
#include "server/engine/field.h"

namespace triggerfish::server::actions {
namespace {

using google::protobuf::util::TimeUtil;

void SetIfNotEmpty(nlohmann::json* j, const char* key, const std::string& value) {
  if (!value.empty()) (*j)[key] = value;
}

// Writes `value` as `width` decimal digits, zero-padded, at `out`.
char* PutDigits(char* out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::string TimestampToJson(const google::protobuf::Timestamp& t) {
  // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range of both
  // Timestamp and RFC 3339.
  constexpr int64_t kMin = -62135596800;
  constexpr int64_t kMax = 253402300799;
  const int64_t seconds = t.seconds();
  const int32_t nanos = t.nanos();
  if (seconds < kMin || seconds > kMax || nanos < 0 || nanos > 999999999) {
    return TimeUtil::ToString(t);  // its own answer for what is out of range
  }
  // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  char buffer[32];
  char* p = PutDigits(buffer, year, 4);
  *p++ = '-';
  p = PutDigits(p, month, 2);
  *p++ = '-';
  p = PutDigits(p, day, 2);
  *p++ = 'T';
  p = PutDigits(p, rest / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, rest / 60 % 60, 2);
  *p++ = ':';
  p = PutDigits(p, rest % 60, 2);
  if (nanos != 0) {
    *p++ = '.';
    if (nanos % 1000000 == 0) {
      p = PutDigits(p, nanos / 1000000, 3);
    } else if (nanos % 1000 == 0) {
      p = PutDigits(p, nanos / 1000, 6);
    } else {
      p = PutDigits(p, nanos, 9);
    }
  }
  *p++ = 'Z';
  return std::string(buffer, p);
}

nlohmann::json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      // google.protobuf.Value has only doubles; whole numbers become JSON
      // integers so that schemas with "type": "integer" accept them.
      const double n = value.number_value();
      constexpr double kExact = 9007199254740992.0;  // 2^53
      if (std::isfinite(n) && n == std::trunc(n) && std::fabs(n) <= kExact) {
        return static_cast<int64_t>(n);
      }
      return n;
    }
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : value.list_value().values()) out.push_back(ValueToJson(item));
      return out;
    }
    default:
      return nullptr;
  }
}

nlohmann::json StructToJson(const google::protobuf::Struct& value) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, item] : value.fields()) out[key] = ValueToJson(item);
  return out;
}

google::protobuf::Value JsonToValue(const nlohmann::json& json) {
  google::protobuf::Value out;
  if (json.is_null()) {
    out.set_null_value(google::protobuf::NULL_VALUE);
  } else if (json.is_boolean()) {
    out.set_bool_value(json.get<bool>());
  } else if (json.is_number()) {
    out.set_number_value(json.get<double>());
  } else if (json.is_string()) {
    out.set_string_value(json.get<std::string>());
  } else if (json.is_array()) {
    auto* list = out.mutable_list_value();
    for (const auto& item : json) *list->add_values() = JsonToValue(item);
  } else {
    auto* fields = out.mutable_struct_value()->mutable_fields();
    for (const auto& [key, item] : json.items()) (*fields)[key] = JsonToValue(item);
  }
  return out;
}

nlohmann::json TicketToJson(const v1::Ticket& t) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = t.id();
  SetIfNotEmpty(&j, "subject", t.subject());
  SetIfNotEmpty(&j, "description", t.description());
  if (t.status() != 0) j["status"] = std::string(engine::StatusName(t.status()));
  if (t.priority() != 0) j["priority"] = std::string(engine::PriorityName(t.priority()));
  SetIfNotEmpty(&j, "type", t.type());
  SetIfNotEmpty(&j, "channel", t.channel());
  j["tags"] = nlohmann::json::array();
  for (const auto& tag : t.tags()) j["tags"].push_back(tag);
  if (t.has_requester()) {
    nlohmann::json r = nlohmann::json::object();
    SetIfNotEmpty(&r, "id", t.requester().id());
    SetIfNotEmpty(&r, "email", t.requester().email());
    SetIfNotEmpty(&r, "name", t.requester().name());
    SetIfNotEmpty(&r, "organization", t.requester().organization());
    j["requester"] = std::move(r);
  }
  SetIfNotEmpty(&j, "assignee_id", t.assignee_id());
  SetIfNotEmpty(&j, "group_id", t.group_id());
  if (t.has_created_at()) j["created_at"] = TimestampToJson(t.created_at());
  if (t.has_updated_at()) j["updated_at"] = TimestampToJson(t.updated_at());
  j["custom_fields"] = nlohmann::json::object();
  for (const auto& [key, value] : t.custom_fields()) j["custom_fields"][key] = ValueToJson(value);
  return j;
}

nlohmann::json EventToJson(const v1::Event& e) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = e.id();
  j["type"] = e.type();
  if (e.has_occurred_at()) j["occurred_at"] = TimestampToJson(e.occurred_at());
  SetIfNotEmpty(&j, "actor", e.actor());
  if (e.has_comment()) {
    nlohmann::json c = nlohmann::json::object();
    SetIfNotEmpty(&c, "id", e.comment().id());
    c["body"] = e.comment().body();
    c["public"] = e.comment().public_();
    SetIfNotEmpty(&c, "author_id", e.comment().author_id());
    j["comment"] = std::move(c);
  }
  if (e.has_payload()) j["payload"] = ValueToJson(e.payload());
  return j;
}

absl::StatusOr<v1::TicketPatch> PatchFromJson(const nlohmann::json& patch) {
  v1::TicketPatch out;
  if (!patch.is_object()) return absl::InvalidArgumentError("ticket_patch is not an object");
  if (auto it = patch.find("set"); it != patch.end()) {
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(StrCat("ticket_patch.set.", key, " is not a string"));
      }
      const std::string text = value.get<std::string>();
      if (key == "subject") {
        out.set_subject(text);
      } else if (key == "status") {
        auto rank = engine::ParseStatus(text);
        if (!rank) return absl::InvalidArgumentError(StrCat("unknown status \"", text, "\""));
        out.set_status(static_cast<v1::TicketStatus>(*rank));
      } else if (key == "priority") {
        auto rank = engine::ParsePriority(text);
        if (!rank) return absl::InvalidArgumentError(StrCat("unknown priority \"", text, "\""));
        out.set_priority(static_cast<v1::TicketPriority>(*rank));
      } else if (key == "type") {
        out.set_type(text);
      } else if (key == "assignee_id") {
        out.set_assignee_id(text);
      } else if (key == "group_id") {
        out.set_group_id(text);
      } else {
        return absl::InvalidArgumentError(StrCat("ticket_patch.set.", key, " cannot be set"));
      }
    }
  }
  for (const char* list : {"add_tags", "remove_tags"}) {
    if (auto it = patch.find(list); it != patch.end()) {
      for (const auto& tag : *it) {
        if (!tag.is_string())
          return absl::InvalidArgumentError(StrCat(list, " holds a non-string"));
        if (std::string_view(list) == "add_tags") {
          out.add_add_tags(tag.get<std::string>());
        } else {
          out.add_remove_tags(tag.get<std::string>());
        }
      }
    }
  }
  if (auto it = patch.find("custom_fields"); it != patch.end()) {
    for (const auto& [key, value] : it->items()) {
      if (value.is_number_float() && !std::isfinite(value.get<double>())) {
        return absl::InvalidArgumentError(StrCat("custom field ", key, " is not finite"));
      }
      (*out.mutable_custom_fields())[key] = JsonToValue(value);
    }
  }
  return out;
}

std::string OperationId(std::string_view tenant, std::string_view event_id,
                        std::string_view rule_id, int action_index) {
  return StrCat(tenant, "/", event_id, "/", rule_id, "/", action_index);
}

}  // namespace triggerfish::server::actions
