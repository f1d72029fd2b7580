#include "send.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "header_text.h"
#include "message.h"
#include "recipients.h"
#include "smtp_client.h"
#include "template.h"

namespace triggerfish::plugins::email {
namespace {

// Leave the host this much of its deadline to record the outcome.
constexpr int64_t kDeadlineMarginMs = 200;

sdk::Json Addresses(const std::vector<Mailbox>& mailboxes) {
  sdk::Json out = sdk::Json::array();
  for (const Mailbox& m : mailboxes) out.push_back(m.address);
  return out;
}

sdk::Json SkippedJson(const std::vector<Skipped>& skipped) {
  sdk::Json out = sdk::Json::array();
  for (const Skipped& s : skipped)
    out.push_back({{"recipient", s.recipient}, {"reason", s.reason}});
  return out;
}

// "; skipped assignee (the ticket has no assignee)", or "".
std::string SkippedText(const std::vector<Skipped>& skipped) {
  std::string out;
  for (const Skipped& s : skipped) {
    out += out.empty() ? "; skipped " : ", ";
    out += s.recipient + " (" + s.reason + ")";
  }
  return out;
}

std::vector<std::string> Formatted(const std::vector<Mailbox>& mailboxes) {
  std::vector<std::string> out;
  for (const Mailbox& m : mailboxes) out.push_back(FormatMailbox(m.name, m.address));
  return out;
}

std::string StringMember(const sdk::Json& object, const char* name) {
  if (!object.is_object()) return std::string();
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

sdk::Result Send::Execute(sdk::Context& ctx, const sdk::Json& params,
                          const sdk::Json& ticket) const {
  const std::string ticket_id = StringMember(ticket, "id");
  const std::string operation_id(ctx.operation_id());

  // 1. Render. Nothing here touches the network, so every failure is final.
  const std::string subject_template = params.value("subject", std::string());
  if (HasControlCharacter(subject_template)) {
    return sdk::Result::Permanent(
        "header injection: the subject template contains a control "
        "character (CR, LF, ...)");
  }
  const TemplateContext templates(ticket, ctx.event());
  std::string subject, body, error;
  const auto max_bytes = static_cast<size_t>(config_.max_rendered_bytes());
  if (!templates.Render(subject_template, /*html=*/false, max_bytes, &subject, &error)) {
    return sdk::Result::Permanent("subject template: " + error);
  }
  if (HasControlCharacter(subject)) {
    return sdk::Result::Permanent(
        "header injection: the rendered subject contains a control "
        "character (CR, LF, ...); not sent");
  }
  if (!templates.Render(params.value("body", std::string()), /*html=*/false, max_bytes, &body,
                        &error)) {
    return sdk::Result::Permanent("body template: " + error);
  }
  std::optional<std::string> html_body;
  if (params.contains("html_body")) {
    html_body.emplace();
    if (!templates.Render(params.value("html_body", std::string()), /*html=*/true, max_bytes,
                          &*html_body, &error)) {
      return sdk::Result::Permanent("html_body template: " + error);
    }
  }

  // 2. Recipients.
  Recipients recipients = ResolveRecipients(ctx, params, ticket);
  if (!recipients.error.empty()) return sdk::Result::Permanent(recipients.error + "; not sent");
  sdk::Json output = {{"to", Addresses(recipients.to)},
                      {"cc", Addresses(recipients.cc)},
                      {"skipped", SkippedJson(recipients.skipped)}};
  std::vector<std::string> envelope;
  for (const auto* list : {&recipients.to, &recipients.cc}) {
    for (const Mailbox& m : *list) envelope.push_back(m.address);
  }
  if (envelope.empty()) {
    return sdk::Result::Ok()
        .WithMessage("not sent: no recipient" + SkippedText(recipients.skipped))
        .WithOutput(std::move(output));
  }

  // 3. The message, identical on every attempt but for its Date.
  const int64_t now = ctx.NowUnixMicros();
  Message message;
  message.from = FormatMailbox(config_.from_name(), config_.from());
  message.to = Formatted(recipients.to);
  message.cc = Formatted(recipients.cc);
  message.subject = subject;
  message.text_body = body;
  message.html_body = html_body;
  message.date_unix_micros = now;
  message.message_id = MessageIdFor(operation_id);
  if (message.message_id.empty()) {
    // Hosts always pass an operation id to deferred actions; without one a
    // retry cannot be recognised, but the mail can still go out.
    std::random_device random;
    message.message_id = MessageIdFor("tf-" + std::to_string(now) + "-" + std::to_string(random()));
    ctx.Log(sdk::LogLevel::kWarn, "email.send: no operation id; Message-ID is " +
                                      message.message_id + " on this attempt only");
  }
  output["message_id"] = message.message_id;
  const std::string data = Serialize(message);

  int64_t timeout_ms = config_.timeout_ms();
  if (ctx.deadline_unix_micros() != 0) {
    const int64_t left_ms = (ctx.deadline_unix_micros() - now) / 1000 - kDeadlineMarginMs;
    if (left_ms <= 0) return sdk::Result::Retryable("no time left before the host's deadline");
    timeout_ms = std::min(timeout_ms, left_ms);
  }

  // 4. The loop guard, after everything that could refuse the mail and
  // right before sending it.
  bool limited = false;
  if (!ticket_id.empty()) {
    SendLimit::Reservation reservation = limit_.Reserve(ctx, ticket_id, operation_id, now);
    switch (reservation.outcome) {
      case SendLimit::Outcome::kLimitReached:
        return sdk::Result::Permanent(
                   "send limit reached: ticket " + ticket_id + " already had " +
                   std::to_string(reservation.sends_in_window) + " emails in the last " +
                   std::to_string(config_.send_limit_window_minutes()) + " minutes (limit " +
                   std::to_string(config_.send_limit_count()) + " per " +
                   std::to_string(config_.send_limit_window_minutes()) + " minutes); not sent")
            .WithOutput(std::move(output));
      case SendLimit::Outcome::kUnavailable:
        ctx.Log(sdk::LogLevel::kWarn,
                "email.send: the host offers no plugin state to deferred actions; the per-ticket "
                "send limit does not apply");
        output["send_limit"] = "unavailable";
        break;
      case SendLimit::Outcome::kReserved:
        limited = true;
        break;
    }
  }

  // 5. Send.
  SmtpResult sent = SendMail(config_, envelope, data, timeout_ms);
  output["smtp_reply"] = sent.reply;
  if (sent.code != sdk::Code::kOk) {
    if (limited) limit_.Release(ctx, ticket_id, operation_id);
    sdk::Result result = sent.code == sdk::Code::kRetryable ? sdk::Result::Retryable(sent.message)
                                                            : sdk::Result::Permanent(sent.message);
    return std::move(result).WithOutput(std::move(output));
  }
  ctx.Log(sdk::LogLevel::kInfo, "email.send: " + message.message_id + " sent to " +
                                    std::to_string(envelope.size()) + " recipient(s)");
  return sdk::Result::Ok()
      .WithMessage("sent " + message.message_id + " to " + std::to_string(envelope.size()) +
                   " recipient(s)" + SkippedText(recipients.skipped))
      .WithOutput(std::move(output));
}

}  // namespace triggerfish::plugins::email
