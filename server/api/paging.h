#pragma once

// Paging of List RPCs that page by key (AIP-158): page_size 0 means 100, at
// most 1000; the page token is the last key of the previous page, encoded.

#include <cstdint>
#include <string>
#include <string_view>

#include "server/common/violations.h"

namespace triggerfish::server::api {

struct PageRequest {
  int size = 100;
  // Return keys strictly after this one ("" for the first page).
  std::string after;
};

// Adds violations on "page_size" / "page_token" when they are invalid.
PageRequest ParsePageRequest(int32_t page_size, const std::string& page_token,
                             Violations* violations);

// The token that continues after `last_key`.
std::string PageTokenAfter(std::string_view last_key);

}  // namespace triggerfish::server::api
