// email.send (deferred): renders a message from Mustache templates and sends
// it over SMTP.
//
//   {"type": "email.send", "params": {
//      "to": ["requester"], "cc": ["group:tier2", "lead@example.com"],
//      "subject": "[#{{ticket.id}}] {{ticket.subject}}",
//      "body": "Hi {{ticket.requester.name}},\n\n{{comment.body}}",
//      "html_body": "<p>{{comment.body}}</p>"}}
//
// Recipients: see recipients.h. Outcomes:
//   OK         sent (output: message_id, to, cc, skipped, smtp reply), or
//              nothing to send because every recipient was skipped;
//   RETRYABLE  connection refused or timed out, 4xx reply, host state busy;
//   PERMANENT  5xx reply, header injection (control characters in an
//              address, a name or the rendered subject), a template that does
//              not parse, or the ticket's send limit reached (nothing sent).
// Every attempt of one action sends the same Message-ID, derived from the
// operation id, so a retry after a lost reply is recognisably the same mail.
#pragma once

#include <string_view>

#include <triggerfish/sdk.h>

#include "config.h"
#include "send_limit.h"

namespace triggerfish::plugins::email {

class Send {
 public:
  static constexpr std::string_view kType = "email.send";
  static constexpr sdk::Mode kMode = sdk::Mode::kDeferred;
  static constexpr std::string_view kDescription =
      "Sends an email rendered from Mustache templates to the requester, the assignee, the "
      "agents of a group or literal addresses.";
  // Recipients and the subject template must be free of control characters
  // (CR/LF would inject headers); rules that break this are refused at save.
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "required": ["to", "subject", "body"],
    "additionalProperties": false,
    "definitions": {
      "recipient": {
        "type": "string",
        "minLength": 1,
        "maxLength": 320,
        "pattern": "^(requester|assignee|group:[^\\x00-\\x20\\x7f]+|[^\\x00-\\x20\\x7f@<>,;:\"()\\[\\]\\\\]+@[^\\x00-\\x20\\x7f@<>,;:\"()\\[\\]\\\\]+)$"
      }
    },
    "properties": {
      "to": {"type": "array", "minItems": 1, "maxItems": 100,
             "items": {"$ref": "#/definitions/recipient"}},
      "cc": {"type": "array", "maxItems": 100, "items": {"$ref": "#/definitions/recipient"}},
      "subject": {"type": "string", "minLength": 1, "maxLength": 998,
                  "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
      "body": {"type": "string", "maxLength": 1000000},
      "html_body": {"type": "string", "maxLength": 1000000}
    }
  })";

  explicit Send(const Config& config)
      : config_(config), limit_(config.send_limit_count(), config.send_limit_window_micros()) {}

  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const;

 private:
  const Config& config_;
  SendLimit limit_;
};

}  // namespace triggerfish::plugins::email
