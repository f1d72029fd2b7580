#include "message.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "header_text.h"

namespace triggerfish::plugins::email {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Longest left part of a Message-ID: "Message-ID: <", the part and
// "@triggerfish>" stay within a header line's 998 characters.
constexpr size_t kMaxMessageIdLocal = 900;

// "Name: a,\r\n b" - one mailbox per folded line.
std::string AddressHeader(std::string_view name, const std::vector<std::string>& mailboxes) {
  std::string out(name);
  out += ": ";
  for (size_t i = 0; i < mailboxes.size(); ++i) {
    if (i > 0) out += ",\r\n ";
    out += mailboxes[i];
  }
  return out + "\r\n";
}

std::string TextPart(std::string_view subtype, std::string_view body) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
         QuotedPrintable(body);
}

// FNV-1a, only to derive a MIME boundary that is stable across retries.
uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string MessageIdFor(std::string_view operation_id) {
  auto literal = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '/';
  };
  std::string local;
  for (size_t i = 0; i < operation_id.size(); ++i) {
    const char c = operation_id[i];
    // A dot-atom: a dot neither leads, trails nor follows another dot.
    const bool dot_fits = c == '.' && !local.empty() && local.back() != '.' &&
                          i + 1 < operation_id.size() && operation_id[i + 1] != '.';
    if (literal(c) || dot_fits) {
      local += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      local += '=';
      local += kHex[byte >> 4];
      local += kHex[byte & 15];
    }
  }
  if (local.size() > kMaxMessageIdLocal) {
    // Longer than any id the server makes; kept unique by a hash of the
    // whole id (a header line may not exceed 998 characters). "=h" is no
    // escape, so a cut id never equals a whole one.
    char hash[24];
    std::snprintf(hash, sizeof(hash), "=h%016llx",
                  static_cast<unsigned long long>(Fnv1a(operation_id)));
    local.resize(kMaxMessageIdLocal - std::strlen(hash));
    // No "=X" or "=" cut short (a literal '=' is always "=3D").
    if (local.back() == '=') {
      local.pop_back();
    } else if (local[local.size() - 2] == '=') {
      local.resize(local.size() - 2);
    }
    local += hash;
  }
  if (local.empty()) return std::string();
  return "<" + local + "@triggerfish>";
}

std::string FormatDate(int64_t unix_micros) {
  std::time_t seconds = static_cast<std::time_t>(unix_micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  // %a and %b are locale-dependent; spell them out.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::snprintf(buffer, sizeof(buffer), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

std::string QuotedPrintable(std::string_view text) {
  std::string out;
  std::string line;  // the current output line, without its CRLF
  auto emit = [&](std::string_view token) {
    // Keep room for the '=' of a soft line break: at most 76 bytes a line.
    if (line.size() + token.size() > 75) {
      out += line + "=\r\n";
      line.clear();
    }
    line += token;
  };
  auto end_line = [&]() {
    // Whitespace before a line break would be stripped in transit.
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      char last = line.back();
      line.pop_back();
      std::string encoded = {'=', kHex[(last >> 4) & 15], kHex[last & 15]};
      if (line.size() + encoded.size() > 75) {
        out += line + "=\r\n";
        line.clear();
      }
      line += encoded;
    }
    out += line + "\r\n";
    line.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_line();
    } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string{'=', kHex[c >> 4], kHex[c & 15]});
    }
  }
  if (!line.empty()) end_line();
  return out;
}

std::string Serialize(const Message& message) {
  std::string out;
  out += "Date: " + FormatDate(message.date_unix_micros) + "\r\n";
  out += "From: " + message.from + "\r\n";
  if (message.to.empty()) {
    out += "To: undisclosed-recipients:;\r\n";
  } else {
    out += AddressHeader("To", message.to);
  }
  if (!message.cc.empty()) out += AddressHeader("Cc", message.cc);
  out += "Subject: " + EncodeHeaderText(message.subject) + "\r\n";
  out += "Message-ID: " + message.message_id + "\r\n";
  // RFC 3834: tells auto-responders not to answer, the other half of loop
  // protection (the send limit is ours).
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (!message.html_body) return out + TextPart("plain", message.text_body);

  // Quoted-printable output never contains "=_", so this boundary cannot
  // occur inside a part.
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(Fnv1a(message.message_id)));
  const std::string boundary = std::string("=_triggerfish_") + hash;
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + TextPart("plain", message.text_body);
  out += "--" + boundary + "\r\n" + TextPart("html", *message.html_body);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace triggerfish::plugins::email
