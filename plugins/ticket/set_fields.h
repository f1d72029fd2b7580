// ticket.set_fields: sets core ticket fields.
//   params: {"status": "solved", "priority": "high", "assignee_id": "", ...}
// Only fields whose value differs from the ticket's end up in the patch; an
// empty assignee_id or group_id unassigns.
#pragma once

#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

#include "ticket_json.h"

namespace triggerfish::plugins::ticket {

class SetFields {
 public:
  static constexpr std::string_view kType = "ticket.set_fields";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Sets subject, status, priority, type, assignee or group.";
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "minProperties": 1,
    "additionalProperties": false,
    "properties": {
      "subject": {"type": "string", "minLength": 1, "maxLength": 1024},
      "status": {"enum": ["new", "open", "pending", "on_hold", "solved", "closed"]},
      "priority": {"enum": ["low", "normal", "high", "urgent"]},
      "type": {"type": "string", "maxLength": 64},
      "assignee_id": {"type": "string", "maxLength": 256},
      "group_id": {"type": "string", "maxLength": 256}
    }
  })";

  sdk::Result Execute(sdk::Context&, const sdk::Json& params, const sdk::Json& ticket) const {
    sdk::TicketPatch patch;
    for (const auto& [field, value] : params.items()) {
      const std::string& wanted = value.get_ref<const std::string&>();
      if (StringField(ticket, field) != wanted) patch.Set(field, wanted);
    }
    if (patch.empty()) return sdk::Result::Ok().WithMessage("no change");
    return sdk::Result::Ok(patch);
  }
};

}  // namespace triggerfish::plugins::ticket
