#include "header_text.h"

#include <cstdint>

namespace triggerfish::plugins::email {
namespace {

bool IsAsciiPrintable(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// Length of the UTF-8 sequence starting with lead byte `c` (1 for bytes
// that cannot start one, so malformed input still makes progress).
size_t SequenceLength(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

bool HasControlCharacter(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

bool IsPlainAddress(std::string_view address) {
  if (address.empty() || address.size() > 320) return false;
  size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : address) {
    if (c <= 0x20 || c == 0x7F) return false;
    if (std::string_view("<>,;:\"()[]\\").find(static_cast<char>(c)) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text, size_t max_plain) {
  if (IsAsciiPrintable(text) && text.size() <= max_plain &&
      text.find("=?") == std::string_view::npos) {
    return std::string(text);
  }
  // "=?UTF-8?B?" + 60 base64 characters + "?=" is 72 bytes: 45 input bytes.
  constexpr size_t kMaxChunk = 45;
  std::string out;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = begin;
    while (end < text.size()) {
      size_t next = end + SequenceLength(static_cast<unsigned char>(text[end]));
      if (next > text.size()) next = text.size();
      if (next - begin > kMaxChunk) break;
      end = next;
    }
    if (end == begin) end = begin + 1;  // unreachable with kMaxChunk >= 4
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(begin, end - begin)) + "?=";
    begin = end;
  }
  return out;
}

std::string FormatMailbox(std::string_view name, std::string_view address) {
  if (name.empty()) return std::string(address);
  std::string display;
  if (IsAsciiPrintable(name) && name.find("=?") == std::string_view::npos) {
    display += '"';
    for (char c : name) {
      if (c == '"' || c == '\\') display += '\\';
      display += c;
    }
    display += '"';
  } else {
    display = EncodeHeaderText(name, /*max_plain=*/0);
  }
  return display + " <" + std::string(address) + ">";
}

}  // namespace triggerfish::plugins::email
