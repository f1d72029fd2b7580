// Mustache templates (kainjow/mustache) over the JSON the host passes:
//
//   {{ticket.subject}}, {{ticket.requester.name}}, {{ticket.custom_fields.plan}},
//   {{comment.body}}, {{event.type}}, {{#ticket.tags}}{{.}} {{/ticket.tags}}
//
// JSON maps onto Mustache data as expected: objects and arrays stay objects
// and lists, numbers render as JSON numbers, true/false drive sections and
// null is false (renders as nothing).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::email {

// The data the templates of one execution see:
// {"ticket": ticket, "comment": event.comment, "event": event}.
class TemplateContext {
 public:
  TemplateContext(const sdk::Json& ticket, const sdk::Json& event);
  ~TemplateContext();
  TemplateContext(const TemplateContext&) = delete;
  TemplateContext& operator=(const TemplateContext&) = delete;

  // Renders `source`. HTML-escapes {{values}} only if `html` ({{{values}}}
  // never). Returns false and sets *error if the template does not parse or
  // its output would exceed `max_bytes` (rendering stops there).
  bool Render(std::string_view source, bool html, size_t max_bytes, std::string* out,
              std::string* error) const;

 private:
  struct Data;
  std::unique_ptr<Data> data_;
};

}  // namespace triggerfish::plugins::email
