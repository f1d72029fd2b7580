#include "server/engine/event_validator.h"

#include <cmath>

#include "google/protobuf/util/time_util.h"
#include "server/common/strings.h"
#include "server/engine/compiled_rule.h"

namespace triggerfish::server::engine {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxIdLength = 128;
constexpr int kMaxValueDepth = 16;

void CheckTimestamp(const google::protobuf::Timestamp& ts, const std::string& path, Violations* v) {
  if (ts.seconds() < TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    v->Add(path, "timestamp out of range");
  }
}

void CheckValue(const google::protobuf::Value& value, const std::string& path, int depth,
                Violations* v) {
  if (depth > kMaxValueDepth) {
    v->Add(path, StrCat("nested deeper than ", kMaxValueDepth, " levels"));
    return;
  }
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      if (!std::isfinite(value.number_value())) v->Add(path, "number must be finite");
      break;
    case google::protobuf::Value::kListValue:
      for (int i = 0; i < value.list_value().values_size(); ++i) {
        CheckValue(value.list_value().values(i), StrCat(path, "[", i, "]"), depth + 1, v);
      }
      break;
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, item] : value.struct_value().fields()) {
        CheckValue(item, StrCat(path, ".", key), depth + 1, v);
      }
      break;
    default:
      break;
  }
}

void CheckTicket(const v1::Ticket& t, const std::string& path, bool require_id, Violations* v) {
  if (require_id && t.id().empty()) v->Add(path + ".id", "required");
  if (t.id().size() > kMaxIdLength) v->Add(path + ".id", "longer than 128 characters");
  if (!v1::TicketStatus_IsValid(t.status())) {
    v->Add(path + ".status", StrCat("unknown status number ", static_cast<int>(t.status())));
  }
  if (!v1::TicketPriority_IsValid(t.priority())) {
    v->Add(path + ".priority", StrCat("unknown priority number ", static_cast<int>(t.priority())));
  }
  if (t.has_created_at()) CheckTimestamp(t.created_at(), path + ".created_at", v);
  if (t.has_updated_at()) CheckTimestamp(t.updated_at(), path + ".updated_at", v);
  for (const auto& [key, value] : t.custom_fields()) {
    const std::string field_path = StrCat(path, ".custom_fields.", key);
    if (key.empty()) v->Add(path + ".custom_fields", "empty field name");
    CheckValue(value, field_path, 1, v);
  }
}

}  // namespace

void ValidateEvent(const v1::Event& event, std::string_view prefix, size_t max_bytes,
                   Violations* violations) {
  const std::string p(prefix);
  if (const size_t bytes = event.ByteSizeLong(); bytes > max_bytes) {
    violations->Add(p.empty() ? "event" : p.substr(0, p.size() - 1),
                    StrCat("event is ", bytes, " bytes; the limit is ", max_bytes,
                           " (limits.max_event_bytes)"));
    return;
  }
  if (event.id().empty()) {
    violations->Add(p + "id", "required");
  } else if (event.id().size() > kMaxIdLength) {
    violations->Add(p + "id", "longer than 128 characters");
  }
  if (event.type().empty()) {
    violations->Add(p + "type", "required");
  } else if (!IsValidEventType(event.type())) {
    violations->Add(p + "type", StrCat("\"", event.type(),
                                       "\" is not a lower-case dotted event type such as "
                                       "\"ticket.created\""));
  }
  if (event.has_occurred_at()) CheckTimestamp(event.occurred_at(), p + "occurred_at", violations);
  if (!event.has_ticket()) {
    violations->Add(p + "ticket", "required");
  } else {
    CheckTicket(event.ticket(), p + "ticket", /*require_id=*/true, violations);
  }
  // The payload reaches conditions and plugins (as JSON) like custom fields
  // do, so it obeys the same rules: finite numbers, bounded nesting.
  if (event.has_payload()) CheckValue(event.payload(), p + "payload", 1, violations);
  if (event.has_previous()) {
    CheckTicket(event.previous(), p + "previous", /*require_id=*/false, violations);
    if (event.has_ticket() && !event.previous().id().empty() &&
        event.previous().id() != event.ticket().id()) {
      violations->Add(p + "previous.id", "must equal ticket.id");
    }
  }
}

}  // namespace triggerfish::server::engine
