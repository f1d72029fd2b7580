#include "fuzz/fuzz_support.h"

#include <cstdlib>
#include <iostream>

#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/json_util.h"

namespace triggerfish::fuzz {
namespace {

using server::Violations;
using server::engine::ActionMode;
using server::engine::ActionOutcome;

bool StructToPatch(const google::protobuf::Struct& params, v1::TicketPatch* patch) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(params, &json).ok()) return false;
  return google::protobuf::util::JsonStringToMessage(json, patch).ok();
}

bool IsStringList(const google::protobuf::Value& value) {
  if (value.kind_case() != google::protobuf::Value::kListValue) return false;
  for (const auto& v : value.list_value().values()) {
    if (v.kind_case() != google::protobuf::Value::kStringValue) return false;
  }
  return true;
}

template <typename Message>
Message FromJsonOrDie(std::string_view json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &message);
  if (!status.ok()) {
    std::cerr << "fuzz harness: bad built-in JSON: " << status << "\n" << json << "\n";
    std::abort();
  }
  return message;
}

constexpr std::string_view kSampleRules[] = {
    R"({"id": "urgent-outage", "name": "urgent-outage", "position": 10, "trigger": {"event_types": ["ticket.created"]},
        "condition": {"any": [
          {"predicate": {"field": "ticket.subject", "operator": "matches",
                         "value": "(?i)\\b(outage|down|not working)\\b"}},
          {"predicate": {"field": "ticket.tags", "operator": "includes_any",
                         "value": ["outage", "incident"]}}]},
        "actions": [{"type": "ticket.set_fields", "params": {"priority": "TICKET_PRIORITY_URGENT", "type": "incident"}},
                    {"type": "ticket.add_tags", "params": {"tags": ["outage"]}}]})",
    R"({"id": "vip-email", "name": "vip-email", "position": 20, "trigger": {"event_types": ["ticket.created"]},
        "condition": {"all": [
          {"predicate": {"field": "ticket.channel", "operator": "is", "value": "email"}},
          {"predicate": {"field": "ticket.custom_fields.plan", "operator": "in", "value": ["enterprise", "gold"]}},
          {"predicate": {"field": "ticket.assignee_id", "operator": "absent"}}]},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": ["vip"]}},
                    {"type": "ticket.set_fields", "params": {"group_id": "vip-desk"}}]})",
    R"({"id": "route-new", "name": "route-new", "position": 30, "trigger": {"event_types": ["ticket.created"]},
        "condition": {"predicate": {"field": "ticket.assignee_id", "operator": "absent"}},
        "actions": [{"type": "ticket.set_fields", "params": {"assignee_id": "ana"}}]})",
    R"({"id": "acknowledge", "name": "acknowledge", "position": 50, "trigger": {"event_types": ["ticket.created"]},
        "condition": {"predicate": {"field": "ticket.requester.email", "operator": "present"}},
        "actions": [{"type": "email.send", "params": {"to": ["requester"], "subject": "[#{{ticket.id}}] received"}}]})",
    R"({"id": "pause-while-pending", "name": "pause-while-pending", "position": 60, "trigger": {"event_types": ["ticket.updated"]},
        "condition": {"predicate": {"field": "ticket.status", "operator": "changed_to", "value": "pending"}},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": ["paused"]}}]})",
    R"({"id": "resume-after-pending", "name": "resume-after-pending", "position": 70, "trigger": {"event_types": ["ticket.updated"]},
        "condition": {"all": [
          {"predicate": {"field": "ticket.status", "operator": "changed_from", "value": "pending"}},
          {"predicate": {"field": "ticket.status", "operator": "less_than", "value": "solved"}}]},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": ["resumed"]}}]})",
    R"({"id": "reopened", "name": "reopened", "position": 90, "trigger": {"event_types": ["ticket.updated"]},
        "condition": {"all": [
          {"predicate": {"field": "ticket.status", "operator": "changed_from", "value": "solved"}},
          {"predicate": {"field": "event.actor", "operator": "is", "value": "requester"}}]},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": ["reopened"]}},
                    {"type": "ticket.fail", "params": {"message": "no sla plugin here"}}]})",
    R"({"id": "public-reply-while-pending", "name": "public-reply-while-pending", "position": 100, "trigger": {"event_types": ["comment.created"]},
        "condition": {"all": [
          {"predicate": {"field": "ticket.status", "operator": "is", "value": "pending"}},
          {"predicate": {"field": "comment.public", "operator": "is", "value": true}},
          {"not": {"predicate": {"field": "comment.author_id", "operator": "is", "value": "agent"}}}]},
        "actions": [{"type": "ticket.set_fields", "params": {"status": "TICKET_STATUS_OPEN"}}]})",
    R"({"id": "escalate-on-breach", "name": "escalate-on-breach", "position": 110, "trigger": {"event_types": ["sla.breached"]},
        "condition": {"predicate": {"field": "ticket.status", "operator": "less_than", "value": "solved"}},
        "actions": [{"type": "ticket.set_fields", "params": {"priority": "TICKET_PRIORITY_URGENT"}},
                    {"type": "email.send", "params": {"to": ["assignee"], "cc": ["group:tier2"]}}]})",
    R"({"id": "stale-open", "name": "stale-open", "position": 120, "trigger": {"event_types": ["schedule.tick"]},
        "condition": {"all": [
          {"predicate": {"field": "ticket.status", "operator": "in", "value": ["new", "open"]}},
          {"predicate": {"field": "ticket.hours_since_updated", "operator": "greater_than", "value": 48}}]},
        "actions": [{"type": "ticket.add_tags", "params": {"tags": ["stale"]}}]})",
    R"({"id": "custom-score", "name": "custom-score", "position": 130, "trigger": {"event_types": ["ticket.updated", "ticket.created"]},
        "condition": {"any": [
          {"predicate": {"field": "ticket.custom_fields.score", "operator": "greater_than_or_equal", "value": 7.5}},
          {"predicate": {"field": "ticket.subject", "operator": "contains", "value": "REFUND", "ignore_case": true}},
          {"predicate": {"field": "ticket.priority", "operator": "changed"}}]},
        "actions": [{"type": "ticket.set_fields", "params": {"custom_fields": {"flagged": true, "score": null}}}]})",
};

constexpr std::string_view kSampleEvents[] = {
    R"({"id": "e-created", "type": "ticket.created", "occurred_at": "2026-01-31T09:00:00Z",
        "actor": "requester",
        "ticket": {"id": "t1", "subject": "Checkout is DOWN for everyone", "status": "TICKET_STATUS_NEW",
                   "priority": "TICKET_PRIORITY_NORMAL", "channel": "email", "tags": ["web"],
                   "requester": {"id": "r1", "email": "pat@example.com", "name": "Pat"},
                   "created_at": "2026-01-31T08:59:00Z", "updated_at": "2026-01-31T08:59:00Z",
                   "custom_fields": {"plan": "gold", "score": 9, "nested": {"a": [1, "x", null, true]}}}})",
    R"({"id": "e-updated", "type": "ticket.updated", "occurred_at": "2026-02-01T10:00:00Z",
        "actor": "requester",
        "ticket": {"id": "t1", "subject": "refund please", "status": "TICKET_STATUS_OPEN",
                   "priority": "TICKET_PRIORITY_HIGH", "assignee_id": "ben", "tags": ["vip"],
                   "updated_at": "2026-02-01T10:00:00Z"},
        "previous": {"id": "t1", "subject": "refund please", "status": "TICKET_STATUS_SOLVED",
                     "priority": "TICKET_PRIORITY_LOW", "assignee_id": "ben"}})",
    R"({"id": "e-comment", "type": "comment.created", "occurred_at": "2026-02-01T11:00:00Z",
        "ticket": {"id": "t2", "status": "TICKET_STATUS_PENDING"},
        "comment": {"id": "c1", "body": "any news?", "public": true, "author_id": "r1"}})",
    R"({"id": "e-tick", "type": "schedule.tick", "occurred_at": "2026-02-05T00:00:00Z",
        "ticket": {"id": "t3", "status": "TICKET_STATUS_OPEN", "updated_at": "2026-02-01T00:00:00Z"},
        "payload": {"automation": "stale", "n": 3}})",
};

}  // namespace

bool DecodeMessage(const uint8_t* data, size_t size, google::protobuf::Message* message) {
  // Invalid UTF-8 in string fields is logged by the parser on every input;
  // a rejected input is expected here, the log is noise.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (size == 0) return false;
  const bool binary = data[0] & 1;
  const char* body = reinterpret_cast<const char*>(data + 1);
  const size_t body_size = size - 1;
  if (binary) return message->ParseFromArray(body, static_cast<int>(body_size));
  return google::protobuf::util::JsonStringToMessage(std::string(body, body_size), message).ok();
}

std::optional<ActionMode> FuzzActionCatalog::ModeOf(std::string_view type) const {
  if (type == "ticket.set_fields" || type == "ticket.add_tags" || type == "ticket.fail") {
    return ActionMode::kInline;
  }
  if (type == "email.send") return ActionMode::kDeferred;
  return std::nullopt;
}

void FuzzActionCatalog::ValidateParams(std::string_view type,
                                       const google::protobuf::Struct& params,
                                       const std::string& path, Violations* violations) const {
  if (type == "ticket.set_fields") {
    v1::TicketPatch patch;
    if (!StructToPatch(params, &patch)) violations->Add(path, "not a ticket patch");
  } else if (type == "ticket.add_tags") {
    auto it = params.fields().find("tags");
    if (it == params.fields().end() || !IsStringList(it->second)) {
      violations->Add(path + ".tags", "required: a list of strings");
    }
  } else if (type == "email.send") {
    auto it = params.fields().find("to");
    if (it == params.fields().end() || !IsStringList(it->second)) {
      violations->Add(path + ".to", "required: a list of recipients");
    }
  }
}

ActionOutcome FuzzActionCatalog::RunInline(const server::engine::ActionRequest& request) const {
  ActionOutcome out;
  if (request.type == "ticket.set_fields") {
    if (!StructToPatch(*request.params, &out.patch)) {
      out.code = ActionOutcome::Code::kPermanent;
      out.message = "bad params";
    }
    return out;
  }
  if (request.type == "ticket.add_tags") {
    auto it = request.params->fields().find("tags");
    if (it != request.params->fields().end()) {
      for (const auto& tag : it->second.list_value().values()) {
        out.patch.add_add_tags(tag.string_value());
      }
    }
    *out.output.mutable_struct_value() = *request.params;
    return out;
  }
  out.code = ActionOutcome::Code::kPermanent;
  out.message = request.type == "ticket.fail" ? "failed" : "not an inline action";
  out.patch.add_add_tags("must_not_apply");
  return out;
}

std::vector<std::shared_ptr<const server::engine::CompiledRule>> SampleRules(
    const server::engine::ActionCatalog& catalog, const server::engine::RuleLimits& limits) {
  std::vector<std::shared_ptr<const server::engine::CompiledRule>> rules;
  for (std::string_view json : kSampleRules) {
    Violations violations;
    auto rule = server::engine::CompileRule(FromJsonOrDie<v1::Rule>(json), "rule.", limits, catalog,
                                            &violations);
    if (!rule) {
      std::cerr << "fuzz harness: sample rule does not compile: " << violations.items()[0].field
                << ": " << violations.items()[0].description << "\n"
                << json << "\n";
      std::abort();
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::vector<v1::Event> SampleEvents() {
  std::vector<v1::Event> events;
  for (std::string_view json : kSampleEvents) events.push_back(FromJsonOrDie<v1::Event>(json));
  return events;
}

}  // namespace triggerfish::fuzz
