// ticket.add_tags and ticket.remove_tags.
//   params: {"tags": ["vip", "billing"]}
// The patch lists only tags that actually change.
#pragma once

#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

#include "ticket_json.h"

namespace triggerfish::plugins::ticket {

// Tags are single words: no whitespace, no commas.
inline constexpr std::string_view kTagsParamsSchema = R"({
  "type": "object",
  "required": ["tags"],
  "additionalProperties": false,
  "properties": {
    "tags": {
      "type": "array",
      "minItems": 1,
      "uniqueItems": true,
      "items": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^\\s,]+$"}
    }
  }
})";

// The patch that adds (or removes) those of params.tags that the ticket
// lacks (or has).
inline sdk::Result ChangeTags(const sdk::Json& params, const sdk::Json& ticket, bool add) {
  sdk::TicketPatch patch;
  for (const sdk::Json& tag : params.at("tags")) {
    const std::string& name = tag.get_ref<const std::string&>();
    if (add && !HasTag(ticket, tag)) patch.AddTag(name);
    if (!add && HasTag(ticket, tag)) patch.RemoveTag(name);
  }
  if (patch.empty()) return sdk::Result::Ok().WithMessage("no change");
  return sdk::Result::Ok(patch);
}

class AddTags {
 public:
  static constexpr std::string_view kType = "ticket.add_tags";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription = "Adds tags the ticket does not have yet.";
  static constexpr std::string_view kParamsSchema = kTagsParamsSchema;

  sdk::Result Execute(sdk::Context&, const sdk::Json& params, const sdk::Json& ticket) const {
    return ChangeTags(params, ticket, /*add=*/true);
  }
};

class RemoveTags {
 public:
  static constexpr std::string_view kType = "ticket.remove_tags";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription = "Removes tags the ticket has.";
  static constexpr std::string_view kParamsSchema = kTagsParamsSchema;

  sdk::Result Execute(sdk::Context&, const sdk::Json& params, const sdk::Json& ticket) const {
    return ChangeTags(params, ticket, /*add=*/false);
  }
};

}  // namespace triggerfish::plugins::ticket
