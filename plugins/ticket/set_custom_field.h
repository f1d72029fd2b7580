// ticket.set_custom_field: sets (or, with a null value, removes) one custom
// field.
//   params: {"key": "plan", "value": "enterprise"}
#pragma once

#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::ticket {

class SetCustomField {
 public:
  static constexpr std::string_view kType = "ticket.set_custom_field";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Sets a custom field to any JSON value; null removes it.";
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "required": ["key", "value"],
    "additionalProperties": false,
    "properties": {
      "key": {"type": "string", "minLength": 1, "maxLength": 128},
      "value": {}
    }
  })";

  sdk::Result Execute(sdk::Context&, const sdk::Json& params, const sdk::Json& ticket) const {
    const std::string& key = params.at("key").get_ref<const std::string&>();
    const sdk::Json& value = params.at("value");
    sdk::Json current;  // null: absent
    if (auto fields = ticket.find("custom_fields"); fields != ticket.end() && fields->is_object()) {
      current = fields->value(key, sdk::Json());
    }
    if (current == value) return sdk::Result::Ok().WithMessage("no change");
    return sdk::Result::Ok(sdk::TicketPatch().SetCustomField(key, value));
  }
};

}  // namespace triggerfish::plugins::ticket
