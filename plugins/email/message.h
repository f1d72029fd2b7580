// The RFC 5322 message email.send uploads: headers, then a UTF-8 text body
// or a multipart/alternative text + HTML body, all quoted-printable so no
// line exceeds 76 bytes and the bytes are the same on every retry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triggerfish::plugins::email {

struct Message {
  // Mailboxes as produced by FormatMailbox (already safe for a header).
  std::string from;
  std::vector<std::string> to;  // empty: "To: undisclosed-recipients:;"
  std::vector<std::string> cc;
  // UTF-8 without control characters; encoded here as needed.
  std::string subject;
  std::string text_body;
  std::optional<std::string> html_body;
  // With angle brackets, see MessageIdFor.
  std::string message_id;
  int64_t date_unix_micros = 0;
};

// "<operation-id@triggerfish>", so that every attempt of one deferred send
// carries the same Message-ID and different operation ids never share one.
// Letters, digits, '-', '_' and '/' stay as they are, so do dots that
// neither lead, trail nor follow another dot; every other byte becomes "=XX"
// (upper-case hex), '=' included, which keeps the mapping one-to-one. An
// encoded id over 900 characters (longer than any the server makes) is cut
// and ends in "=h" and the 16 hex digits of a 64-bit FNV-1a hash of the
// whole id. Empty if the operation id is empty.
std::string MessageIdFor(std::string_view operation_id);

// "Tue, 14 Nov 2023 22:13:20 +0000".
std::string FormatDate(int64_t unix_micros);

// Quoted-printable (RFC 2045) with CRLF line ends; any of CRLF, CR, LF in
// `text` is a line break.
std::string QuotedPrintable(std::string_view text);

// The complete message, CRLF line ends, ready for SMTP DATA.
std::string Serialize(const Message& message);

}  // namespace triggerfish::plugins::email
