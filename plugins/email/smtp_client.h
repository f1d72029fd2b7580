// One SMTP transaction through libcurl: connect (TLS as configured), AUTH if
// credentials are configured, MAIL FROM, RCPT TO for every recipient, DATA.
// Any refused recipient aborts the whole transaction, so a message is
// either delivered to everyone or to no one and a retry never duplicates
// it for part of the list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <triggerfish/sdk.h>

#include "config.h"

namespace triggerfish::plugins::email {

struct SmtpResult {
  // kOk: accepted for delivery. kRetryable: connection refused or timed
  // out, a 4xx reply, or another transport failure. kPermanent: a 5xx reply
  // or a configuration error (e.g. STARTTLS required but not offered).
  sdk::Code code = sdk::Code::kPermanent;
  // The server's last reply code, 0 if none.
  long reply_code = 0;
  // The server's last reply line ("550 5.1.1 <x@y>: user unknown"), or "".
  std::string reply;
  // What failed, e.g. "SMTP 550 5.1.1 <x@y>: user unknown (RCPT failed: 550)";
  // for kOk the server's final reply.
  std::string message;
};

// Sends `message` (RFC 5322 text, CRLF line ends) from config.from() to
// `recipients` (plain addresses), giving up after `timeout_ms`.
// Thread-safe; blocks the calling thread.
SmtpResult SendMail(const Config& config, const std::vector<std::string>& recipients,
                    const std::string& message, int64_t timeout_ms);

// Process-wide libcurl set-up, reference-counted: Config holds one.
void AcquireCurl();
void ReleaseCurl();

}  // namespace triggerfish::plugins::email
