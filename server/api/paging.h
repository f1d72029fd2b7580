#pragma once

// Paging of List RPCs that page by key (AIP-158): page_size 0 means 100, at
// most 1000; the page token is the last key of the previous page, encoded
// with a fingerprint of its scope (the RPC and its filters), so that a token
// from another listing, or a forged one, is INVALID_ARGUMENT. A token never
// reaches beyond the caller's tenant: every listing is scoped to it anyway.

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

// Adds violations on "page_size" / "page_token" when they are invalid;
// `scope` names the listing (e.g. "agents|<group filter>|...").
PageRequest ParsePageRequest(int32_t page_size, const std::string& page_token,
                             std::string_view scope, Violations* violations);

// The token that continues the listing `scope` after `last_key`.
std::string PageTokenAfter(std::string_view scope, std::string_view last_key);

}  // namespace triggerfish::server::api
