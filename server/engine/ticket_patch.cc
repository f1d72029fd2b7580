#include "server/engine/ticket_patch.h"

#include <algorithm>

#include "google/protobuf/util/message_differencer.h"
#include "server/engine/field.h"

namespace triggerfish::server::engine {
namespace {

bool HasTag(const v1::Ticket& t, const std::string& tag) {
  return std::find(t.tags().begin(), t.tags().end(), tag) != t.tags().end();
}

// Whether two custom field values are the same: scalars compared directly
// (most custom fields), lists and structs by the message differencer, which
// walks them by reflection.
bool SameValue(const google::protobuf::Value& a, const google::protobuf::Value& b) {
  using google::protobuf::Value;
  if (a.kind_case() != b.kind_case()) return false;
  switch (a.kind_case()) {
    case Value::KIND_NOT_SET:
    case Value::kNullValue:
      return true;
    case Value::kNumberValue:
      return a.number_value() == b.number_value();
    case Value::kStringValue:
      return a.string_value() == b.string_value();
    case Value::kBoolValue:
      return a.bool_value() == b.bool_value();
    case Value::kStructValue:
    case Value::kListValue:
      break;
  }
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

void ApplyPatch(const v1::TicketPatch& patch, v1::Ticket* ticket) {
  if (patch.has_subject()) ticket->set_subject(patch.subject());
  if (patch.has_status()) ticket->set_status(patch.status());
  if (patch.has_priority()) ticket->set_priority(patch.priority());
  if (patch.has_type()) ticket->set_type(patch.type());
  if (patch.has_assignee_id()) ticket->set_assignee_id(patch.assignee_id());
  if (patch.has_group_id()) ticket->set_group_id(patch.group_id());
  for (const auto& tag : patch.add_tags()) {
    if (!HasTag(*ticket, tag)) ticket->add_tags(tag);
  }
  if (!patch.remove_tags().empty()) {
    auto* tags = ticket->mutable_tags();
    tags->erase(std::remove_if(tags->begin(), tags->end(),
                               [&](const std::string& tag) {
                                 return std::find(patch.remove_tags().begin(),
                                                  patch.remove_tags().end(),
                                                  tag) != patch.remove_tags().end();
                               }),
                tags->end());
  }
  for (const auto& [key, value] : patch.custom_fields()) {
    if (value.kind_case() == google::protobuf::Value::kNullValue ||
        value.kind_case() == google::protobuf::Value::KIND_NOT_SET) {
      ticket->mutable_custom_fields()->erase(key);
    } else {
      (*ticket->mutable_custom_fields())[key] = value;
    }
  }
}

uint64_t PatchBits(const v1::TicketPatch& patch) {
  using namespace field_bits;
  uint64_t bits = 0;
  if (patch.has_subject()) bits |= kSubject;
  if (patch.has_status()) bits |= kStatus;
  if (patch.has_priority()) bits |= kPriority;
  if (patch.has_type()) bits |= kType;
  if (patch.has_assignee_id()) bits |= kAssignee;
  if (patch.has_group_id()) bits |= kGroup;
  if (!patch.add_tags().empty() || !patch.remove_tags().empty()) bits |= kTags;
  for (const auto& [key, value] : patch.custom_fields()) bits |= CustomField(key);
  return bits;
}

v1::TicketPatch DiffTickets(const v1::Ticket& before, const v1::Ticket& after) {
  v1::TicketPatch patch;
  if (before.subject() != after.subject()) patch.set_subject(after.subject());
  if (before.status() != after.status()) patch.set_status(after.status());
  if (before.priority() != after.priority()) patch.set_priority(after.priority());
  if (before.type() != after.type()) patch.set_type(after.type());
  if (before.assignee_id() != after.assignee_id()) patch.set_assignee_id(after.assignee_id());
  if (before.group_id() != after.group_id()) patch.set_group_id(after.group_id());
  for (const auto& tag : after.tags()) {
    if (!HasTag(before, tag)) patch.add_add_tags(tag);
  }
  for (const auto& tag : before.tags()) {
    if (!HasTag(after, tag)) patch.add_remove_tags(tag);
  }
  for (const auto& [key, value] : after.custom_fields()) {
    auto it = before.custom_fields().find(key);
    if (it == before.custom_fields().end() || !SameValue(it->second, value)) {
      (*patch.mutable_custom_fields())[key] = value;
    }
  }
  for (const auto& [key, value] : before.custom_fields()) {
    if (!after.custom_fields().contains(key)) {
      (*patch.mutable_custom_fields())[key].set_null_value(google::protobuf::NULL_VALUE);
    }
  }
  return patch;
}

}  // namespace triggerfish::server::engine
