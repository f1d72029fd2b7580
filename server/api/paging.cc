#include "server/api/paging.h"

#include "absl/strings/escaping.h"
#include "server/common/strings.h"

namespace triggerfish::server::api {
namespace {

constexpr std::string_view kTokenPrefix = "k2:";

// 64-bit FNV-1a of `scope` as 16 hex digits: stable across processes and
// builds, so tokens survive a restart.
std::string ScopeFingerprint(std::string_view scope) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : scope) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[i] = kHex[h & 0xf];
  return out;
}

}  // namespace

PageRequest ParsePageRequest(int32_t page_size, const std::string& page_token,
                             std::string_view scope, Violations* violations) {
  PageRequest page;
  if (page_size < 0 || page_size > 1000) {
    violations->Add("page_size", "must be between 0 and 1000");
  } else if (page_size > 0) {
    page.size = page_size;
  }
  if (!page_token.empty()) {
    std::string raw;
    const std::string head = StrCat(kTokenPrefix, ScopeFingerprint(scope), ":");
    if (!absl::WebSafeBase64Unescape(page_token, &raw) ||
        !std::string_view(raw).starts_with(head)) {
      violations->Add("page_token", "malformed page token, or one from another listing or filter");
    } else {
      page.after = raw.substr(head.size());
    }
  }
  return page;
}

std::string PageTokenAfter(std::string_view scope, std::string_view last_key) {
  std::string raw = StrCat(kTokenPrefix, ScopeFingerprint(scope), ":");
  raw.append(last_key);
  return absl::WebSafeBase64Escape(raw);
}

}  // namespace triggerfish::server::api
