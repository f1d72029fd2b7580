// Reading the Ticket JSON of plugin_abi.h, where absent members mean empty.
#pragma once

#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::ticket {

// The string member `field` of `ticket`, or "" if absent or not a string.
inline std::string StringField(const sdk::Json& ticket, std::string_view field) {
  auto it = ticket.find(field);
  return it != ticket.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// True if the ticket's "tags" array contains `tag`.
inline bool HasTag(const sdk::Json& ticket, const sdk::Json& tag) {
  auto it = ticket.find("tags");
  if (it == ticket.end() || !it->is_array()) return false;
  for (const sdk::Json& t : *it) {
    if (t == tag) return true;
  }
  return false;
}

}  // namespace triggerfish::plugins::ticket
