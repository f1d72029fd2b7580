// Text that goes into message headers: the checks that stop header
// injection and the encodings (RFC 2047 encoded-words, quoted display
// names) that keep any UTF-8 text on one logical header line.
#pragma once

#include <string>
#include <string_view>

namespace triggerfish::plugins::email {

// True if `text` contains an ASCII control character (0x00-0x1F or 0x7F),
// CR and LF included: such text must never reach a header.
bool HasControlCharacter(std::string_view text);

// True if `address` is a plain addr-spec "local@domain" that is safe to put
// in a header and an SMTP command: one '@', non-empty parts, at most 320
// bytes, no whitespace, control characters or any of @<>,;:"()[]\.
bool IsPlainAddress(std::string_view address);

// `text` as header content: unchanged if it is printable ASCII without "=?"
// and at most `max_plain` bytes, else RFC 2047 "=?UTF-8?B?...?=" words (each
// at most 75 bytes, never splitting a UTF-8 sequence) folded with CRLF SP.
// `text` must not contain control characters.
std::string EncodeHeaderText(std::string_view text, size_t max_plain = 900);

// "address", or "\"Display Name\" <address>" (encoded-words if the name is
// not ASCII) when `name` is not empty. Neither may contain control
// characters.
std::string FormatMailbox(std::string_view name, std::string_view address);

// Standard base64 (RFC 4648) with padding, no line breaks.
std::string Base64(std::string_view bytes);

}  // namespace triggerfish::plugins::email
