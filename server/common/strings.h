#pragma once

// String concatenation over std::string_view and numbers. (Debian's abseil
// has its own absl::string_view, which does not accept std::string_view.)
//
//   std::string s = StrCat("rule ", id, " has ", count, " actions");

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace triggerfish::server {
namespace strings_internal {

inline void Append(std::string* out, std::string_view s) { out->append(s); }
inline void Append(std::string* out, char c) { out->push_back(c); }

// Exactly absl::string_view (no conversions, so no ambiguity with strings).
template <typename T>
requires std::same_as<T, absl::string_view>
void Append(std::string* out, const T& s) { out->append(s.data(), s.size()); }

template <typename T>
requires(std::is_arithmetic_v<T> && !std::same_as<T, char> &&
         !std::same_as<T, bool>) void Append(std::string* out, T value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

}  // namespace strings_internal

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::Append(out, args), ...);
}

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  StrAppend(&out, args...);
  return out;
}

// Joins `items` (each convertible to std::string_view) with `separator`.
template <typename Container>
std::string StrJoin(const Container& items, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out.append(separator);
    first = false;
    out.append(std::string_view(item));
  }
  return out;
}

}  // namespace triggerfish::server
