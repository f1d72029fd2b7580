#pragma once

// Page tokens of ListRules: an opaque, URL-safe encoding of the last rule of
// a page (position, id) and of the filters the listing used, so that a token
// used with other filters, or a forged one, is rejected.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace triggerfish::server::rules {

struct PageCursor {
  int32_t position = 0;
  std::string id;
  // Canonical form of the list filters the token belongs to.
  std::string filter;
};

std::string EncodePageToken(const PageCursor& cursor);
// nullopt when `token` is malformed.
std::optional<PageCursor> DecodePageToken(std::string_view token);

}  // namespace triggerfish::server::rules
