// The email plugin's configuration, given by the operator (never by rules):
//
//   {"smtp_url": "smtp://mail.example.com:587",  // or smtps://host:465
//    "starttls": "required",          // never | opportunistic (default) | required
//    "from": "support@example.com", "from_name": "Example Support",
//    "username_env": "TF_SMTP_USER",  // names of environment variables that
//    "password_env": "TF_SMTP_PASS",  //   hold the SMTP credentials
//    "timeout_ms": 10000,
//    "max_rendered_bytes": 1048576,   // largest rendered subject/body/html_body
//    "send_limit": {"count": 10, "window_minutes": 10}}
//
// The host validates the object against kSchema before the constructor runs;
// the constructor re-checks what it relies on and reads the credentials from
// the environment, so a missing variable fails init with a clear message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::email {

enum class StartTls { kNever, kOpportunistic, kRequired };

class Config {
 public:
  static constexpr std::string_view kSchema = R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "smtp_url": {"type": "string", "maxLength": 2048, "default": "smtp://localhost:25",
                   "pattern": "^smtps?://[^\\x00-\\x20\\x7f/?#@]+(/[^\\x00-\\x20\\x7f?#]*)?$"},
      "starttls": {"enum": ["never", "opportunistic", "required"], "default": "opportunistic"},
      "from": {"type": "string", "maxLength": 320, "default": "triggerfish@localhost",
               "pattern": "^[^\\x00-\\x20\\x7f@<>,;:\"()\\[\\]\\\\]+@[^\\x00-\\x20\\x7f@<>,;:\"()\\[\\]\\\\]+$"},
      "from_name": {"type": "string", "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f]*$"},
      "username_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,127}$"},
      "password_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,127}$"},
      "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 600000, "default": 10000},
      "max_rendered_bytes": {"type": "integer", "minimum": 1024, "maximum": 67108864,
                             "default": 1048576},
      "send_limit": {
        "type": "object",
        "required": ["count", "window_minutes"],
        "additionalProperties": false,
        "properties": {
          "count": {"type": "integer", "minimum": 1, "maximum": 100000},
          "window_minutes": {"type": "integer", "minimum": 1, "maximum": 10080}
        }
      }
    },
    "dependencies": {"password_env": ["username_env"]}
  })";

  // Throws std::invalid_argument if the config is unusable (e.g. a named
  // credential variable is not set).
  Config(const sdk::Json& config, const sdk::Host& host);
  ~Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  const std::string& smtp_url() const { return smtp_url_; }
  StartTls starttls() const { return starttls_; }
  const std::string& from() const { return from_; }
  const std::string& from_name() const { return from_name_; }
  // Empty when the server needs no authentication.
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  int64_t timeout_ms() const { return timeout_ms_; }
  // Largest rendered subject, body or html_body. Templates are limited in
  // size when a rule is saved (the params schema), but a section over a
  // list ({{#ticket.tags}}...{{/ticket.tags}}) multiplies what it repeats.
  int64_t max_rendered_bytes() const { return max_rendered_bytes_; }
  // At most send_limit_count() messages per ticket in any
  // send_limit_window_micros() window.
  int64_t send_limit_count() const { return send_limit_count_; }
  int64_t send_limit_window_micros() const { return send_limit_window_minutes_ * 60'000'000; }
  int64_t send_limit_window_minutes() const { return send_limit_window_minutes_; }

 private:
  std::string smtp_url_;
  StartTls starttls_ = StartTls::kOpportunistic;
  std::string from_;
  std::string from_name_;
  std::string username_;
  std::string password_;
  int64_t timeout_ms_ = 10000;
  int64_t max_rendered_bytes_ = 1 << 20;
  int64_t send_limit_count_ = 10;
  int64_t send_limit_window_minutes_ = 10;
};

}  // namespace triggerfish::plugins::email
