#include "config.h"

#include <cstdlib>
#include <stdexcept>

#include "header_text.h"
#include "smtp_client.h"

namespace triggerfish::plugins::email {
namespace {

std::string RequiredString(const sdk::Json& config, const char* name) {
  auto it = config.find(name);
  if (it == config.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw std::invalid_argument(std::string("config: \"") + name + "\" is required");
  }
  return it->get<std::string>();
}

// The value of the environment variable named by config[member], "" if the
// member is absent. Throws if the variable is named but not set.
std::string FromEnvironment(const sdk::Json& config, const char* member) {
  std::string variable = config.value(member, std::string());
  if (variable.empty()) return std::string();
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr || *value == '\0') {
    throw std::invalid_argument(std::string("config: environment variable ") + variable +
                                " (named by \"" + member + "\") is not set");
  }
  return value;
}

}  // namespace

constexpr std::string_view kDefaultSmtpUrl = "smtp://localhost:25";
constexpr std::string_view kDefaultFrom = "triggerfish@localhost";

Config::Config(const sdk::Json& config, const sdk::Host& host) {
  // Defaults let the server start with no configuration at all; mail then
  // goes to a local MTA.
  smtp_url_ = config.contains("smtp_url") ? RequiredString(config, "smtp_url")
                                          : std::string(kDefaultSmtpUrl);
  if (!smtp_url_.starts_with("smtp://") && !smtp_url_.starts_with("smtps://")) {
    throw std::invalid_argument("config: smtp_url must start with smtp:// or smtps://");
  }
  if (HasControlCharacter(smtp_url_)) {
    throw std::invalid_argument("config: smtp_url contains a control character");
  }
  from_ = config.contains("from") ? RequiredString(config, "from") : std::string(kDefaultFrom);
  if (!IsPlainAddress(from_)) {
    throw std::invalid_argument("config: \"from\" is not a plain email address: " + from_);
  }
  from_name_ = config.value("from_name", std::string());
  if (HasControlCharacter(from_name_)) {
    throw std::invalid_argument("config: from_name contains a control character");
  }
  const std::string starttls = config.value("starttls", std::string("opportunistic"));
  if (starttls == "never") {
    starttls_ = StartTls::kNever;
  } else if (starttls == "opportunistic") {
    starttls_ = StartTls::kOpportunistic;
  } else if (starttls == "required") {
    starttls_ = StartTls::kRequired;
  } else {
    throw std::invalid_argument("config: starttls must be never, opportunistic or required");
  }
  username_ = FromEnvironment(config, "username_env");
  password_ = FromEnvironment(config, "password_env");
  timeout_ms_ = config.value("timeout_ms", int64_t{10000});
  if (timeout_ms_ <= 0) throw std::invalid_argument("config: timeout_ms must be positive");
  max_rendered_bytes_ = config.value("max_rendered_bytes", int64_t{1} << 20);
  if (max_rendered_bytes_ <= 0) {
    throw std::invalid_argument("config: max_rendered_bytes must be positive");
  }
  if (auto it = config.find("send_limit"); it != config.end()) {
    send_limit_count_ = it->value("count", int64_t{10});
    send_limit_window_minutes_ = it->value("window_minutes", int64_t{10});
  }
  if (send_limit_count_ <= 0 || send_limit_window_minutes_ <= 0) {
    throw std::invalid_argument("config: send_limit count and window_minutes must be positive");
  }
  if (!username_.empty() && starttls_ != StartTls::kRequired && smtp_url_.starts_with("smtp://")) {
    host.Log(sdk::LogLevel::kWarn,
             "email: credentials are configured but starttls is not \"required\"; they may be "
             "sent in clear text to " +
                 smtp_url_);
  }
  AcquireCurl();
}

Config::~Config() { ReleaseCurl(); }

}  // namespace triggerfish::plugins::email
