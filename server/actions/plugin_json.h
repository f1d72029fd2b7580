#pragma once

// The JSON documents of the plugin ABI (see triggerfish/plugin_abi.h) made
// from and turned into the API's protobuf types.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"
#include "triggerfish/v1/event.pb.h"
#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::actions {

// RFC 3339 in UTC, exactly as google::protobuf::util::TimeUtil::ToString
// writes it ("2026-03-03T10:15:30Z", with 3, 6 or 9 fraction digits when
// there are nanoseconds), without its printf formatting: every plugin call
// writes a few.
std::string TimestampToJson(const google::protobuf::Timestamp& t);

nlohmann::json ValueToJson(const google::protobuf::Value& value);
nlohmann::json StructToJson(const google::protobuf::Struct& value);
google::protobuf::Value JsonToValue(const nlohmann::json& json);

// Ticket JSON: {"id", "subject", "status": "open", "priority": "high",
// "tags": [...], "custom_fields": {...}, "created_at": "RFC 3339", ...}.
nlohmann::json TicketToJson(const v1::Ticket& ticket);
// Event JSON: {"id", "type", "occurred_at", "actor", "comment"?, "payload"?}.
nlohmann::json EventToJson(const v1::Event& event);

// The operation id plugins get with action `action_index` of rule `rule_id`
// run for event `event_id` of `tenant`, stored with its execution:
// "tenant/event id/rule id/index". The same on every attempt of that action
// and distinct for every other action, also across tenants: plugins
// deduplicate side effects in systems the tenants share with it (the
// e-mail Message-ID). Tenant names cannot contain '/'.
std::string OperationId(std::string_view tenant, std::string_view event_id,
                        std::string_view rule_id, int action_index);

// Converts a patch checked by the plugin host ({"set", "add_tags",
// "remove_tags", "custom_fields"}) to a TicketPatch.
absl::StatusOr<v1::TicketPatch> PatchFromJson(const nlohmann::json& patch);

}  // namespace triggerfish::server::actions
