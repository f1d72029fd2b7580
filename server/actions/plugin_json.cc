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

}  // namespace

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
  if (t.has_created_at()) j["created_at"] = TimeUtil::ToString(t.created_at());
  if (t.has_updated_at()) j["updated_at"] = TimeUtil::ToString(t.updated_at());
  j["custom_fields"] = nlohmann::json::object();
  for (const auto& [key, value] : t.custom_fields()) j["custom_fields"][key] = ValueToJson(value);
  return j;
}

nlohmann::json EventToJson(const v1::Event& e) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = e.id();
  j["type"] = e.type();
  if (e.has_occurred_at()) j["occurred_at"] = TimeUtil::ToString(e.occurred_at());
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

}  // namespace triggerfish::server::actions
