#include "server/rules/page_token.h"

#include <charconv>

#include "absl/strings/escaping.h"
#include "server/common/strings.h"

namespace triggerfish::server::rules {
namespace {

constexpr std::string_view kVersion = "p1";

// FNV-1a, to detect tokens that were edited or truncated.
uint32_t Checksum(std::string_view data) {
  uint32_t h = 2166136261u;
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::string EncodePageToken(const PageCursor& cursor) {
  const std::string body =
      StrCat(kVersion, "\n", cursor.position, "\n", cursor.id, "\n", cursor.filter);
  const std::string raw = StrCat(body, "\n", Checksum(body));
  return absl::WebSafeBase64Escape(raw);
}

std::optional<PageCursor> DecodePageToken(std::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) {
    return std::nullopt;
  }
  const size_t last = raw.rfind('\n');
  if (last == std::string::npos) return std::nullopt;
  const std::string_view body = std::string_view(raw).substr(0, last);
  if (StrCat(Checksum(body)) != std::string_view(raw).substr(last + 1)) return std::nullopt;
  // body: version \n position \n id \n filter
  const size_t a = body.find('\n');
  const size_t b = a == std::string_view::npos ? a : body.find('\n', a + 1);
  const size_t c = b == std::string_view::npos ? b : body.find('\n', b + 1);
  if (c == std::string_view::npos || body.substr(0, a) != kVersion) return std::nullopt;
  PageCursor cursor;
  const std::string_view position = body.substr(a + 1, b - a - 1);
  auto [ptr, ec] =
      std::from_chars(position.data(), position.data() + position.size(), cursor.position);
  if (ec != std::errc() || ptr != position.data() + position.size()) return std::nullopt;
  cursor.id = std::string(body.substr(b + 1, c - b - 1));
  cursor.filter = std::string(body.substr(c + 1));
  return cursor;
}

}  // namespace triggerfish::server::rules
