#pragma once

// The JSON documents of the plugin ABI (see triggerfish/plugin_abi.h) made
// from and turned into the API's protobuf types.

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "nlohmann/json.hpp"
#include "triggerfish/v1/event.pb.h"
#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::actions {

nlohmann::json ValueToJson(const google::protobuf::Value& value);
nlohmann::json StructToJson(const google::protobuf::Struct& value);
google::protobuf::Value JsonToValue(const nlohmann::json& json);

// Ticket JSON: {"id", "subject", "status": "open", "priority": "high",
// "tags": [...], "custom_fields": {...}, "created_at": "RFC 3339", ...}.
nlohmann::json TicketToJson(const v1::Ticket& ticket);
// Event JSON: {"id", "type", "occurred_at", "actor", "comment"?, "payload"?}.
nlohmann::json EventToJson(const v1::Event& event);

// Converts a patch checked by the plugin host ({"set", "add_tags",
// "remove_tags", "custom_fields"}) to a TicketPatch.
absl::StatusOr<v1::TicketPatch> PatchFromJson(const nlohmann::json& patch);

}  // namespace triggerfish::server::actions
