#include "server/api/paging.h"

#include "absl/strings/escaping.h"

namespace triggerfish::server::api {
namespace {

constexpr std::string_view kTokenPrefix = "k1:";

}  // namespace

PageRequest ParsePageRequest(int32_t page_size, const std::string& page_token,
                             Violations* violations) {
  PageRequest page;
  if (page_size < 0 || page_size > 1000) {
    violations->Add("page_size", "must be between 0 and 1000");
  } else if (page_size > 0) {
    page.size = page_size;
  }
  if (!page_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(page_token, &raw) ||
        !std::string_view(raw).starts_with(kTokenPrefix)) {
      violations->Add("page_token", "malformed page token");
    } else {
      page.after = raw.substr(kTokenPrefix.size());
    }
  }
  return page;
}

std::string PageTokenAfter(std::string_view last_key) {
  std::string raw(kTokenPrefix);
  raw.append(last_key);
  return absl::WebSafeBase64Escape(raw);
}

}  // namespace triggerfish::server::api
