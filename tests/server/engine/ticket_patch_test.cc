// Applying action patches to the working ticket and computing the net patch
// the helpdesk applies to its system of record.

#include "server/engine/ticket_patch.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using ::testing::ElementsAre;
using triggerfish::testing::FromJson;

TEST(ApplyPatchTest, OverwritesOnlyTheFieldsThatAreSet) {
  auto ticket = FromJson<v1::Ticket>(R"({"id": "t1", "subject": "Help", "type": "question",
      "status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_LOW", "assignee_id": "a1",
      "group_id": "g1"})");
  ApplyPatch(FromJson<v1::TicketPatch>(R"({"status": "TICKET_STATUS_OPEN",
                                           "priority": "TICKET_PRIORITY_URGENT"})"),
             &ticket);
  EXPECT_EQ(ticket.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(ticket.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(ticket.subject(), "Help");
  EXPECT_EQ(ticket.type(), "question");
  EXPECT_EQ(ticket.assignee_id(), "a1");
  ApplyPatch(FromJson<v1::TicketPatch>(R"({"subject": "Re: Help", "type": "incident",
                                           "group_id": "g2"})"),
             &ticket);
  EXPECT_EQ(ticket.subject(), "Re: Help");
  EXPECT_EQ(ticket.type(), "incident");
  EXPECT_EQ(ticket.group_id(), "g2");
}

TEST(ApplyPatchTest, EmptyAssigneeUnassigns) {
  auto ticket = FromJson<v1::Ticket>(R"({"id": "t1", "assignee_id": "a1", "group_id": "g1"})");
  ApplyPatch(FromJson<v1::TicketPatch>(R"({"assignee_id": "", "group_id": ""})"), &ticket);
  EXPECT_EQ(ticket.assignee_id(), "");
  EXPECT_EQ(ticket.group_id(), "");
}

TEST(ApplyPatchTest, TagsAreAddedOnceAndRemoved) {
  auto ticket = FromJson<v1::Ticket>(R"({"id": "t1", "tags": ["vip", "billing"]})");
  ApplyPatch(
      FromJson<v1::TicketPatch>(
          R"({"add_tags": ["vip", "urgent", "urgent"], "remove_tags": ["billing", "none"]})"),
      &ticket);
  EXPECT_THAT(ticket.tags(), ElementsAre("vip", "urgent"));
}

TEST(ApplyPatchTest, CustomFieldsAreSetOrRemovedByNull) {
  auto ticket =
      FromJson<v1::Ticket>(R"({"id": "t1", "custom_fields": {"plan": "free", "seats": 5}})");
  ApplyPatch(FromJson<v1::TicketPatch>(R"({"custom_fields": {"plan": "gold", "seats": null,
                                                              "region": "eu"}})"),
             &ticket);
  EXPECT_EQ(ticket.custom_fields().at("plan").string_value(), "gold");
  EXPECT_EQ(ticket.custom_fields().at("region").string_value(), "eu");
  EXPECT_FALSE(ticket.custom_fields().contains("seats"));
}

TEST(DiffTicketsTest, IdenticalTicketsGiveAnEmptyPatch) {
  auto t = FromJson<v1::Ticket>(R"({"id": "t1", "subject": "s", "tags": ["a"],
                                    "custom_fields": {"x": [1, {"y": 2}]}})");
  EXPECT_EQ(DiffTickets(t, t).ByteSizeLong(), 0u);
}

TEST(DiffTicketsTest, ReportsEveryChangedPatchableField) {
  auto before = FromJson<v1::Ticket>(R"({"id": "t1", "subject": "s", "status": "TICKET_STATUS_NEW",
      "priority": "TICKET_PRIORITY_LOW", "type": "question", "assignee_id": "a1",
      "group_id": "g1", "tags": ["a", "b"], "custom_fields": {"keep": 1, "drop": 2, "edit": "x"}})");
  auto after = FromJson<v1::Ticket>(R"({"id": "t1", "subject": "s2",
      "status": "TICKET_STATUS_OPEN", "priority": "TICKET_PRIORITY_HIGH", "type": "incident",
      "assignee_id": "", "group_id": "g2", "tags": ["b", "c"],
      "custom_fields": {"keep": 1, "edit": "y", "new": true}})");
  auto patch = DiffTickets(before, after);
  EXPECT_EQ(patch.subject(), "s2");
  EXPECT_EQ(patch.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(patch.priority(), v1::TICKET_PRIORITY_HIGH);
  EXPECT_EQ(patch.type(), "incident");
  ASSERT_TRUE(patch.has_assignee_id());
  EXPECT_EQ(patch.assignee_id(), "");
  EXPECT_EQ(patch.group_id(), "g2");
  EXPECT_THAT(patch.add_tags(), ElementsAre("c"));
  EXPECT_THAT(patch.remove_tags(), ElementsAre("a"));
  EXPECT_EQ(patch.custom_fields_size(), 3);
  EXPECT_FALSE(patch.custom_fields().contains("keep"));
  EXPECT_EQ(patch.custom_fields().at("edit").string_value(), "y");
  EXPECT_TRUE(patch.custom_fields().at("new").bool_value());
  EXPECT_EQ(patch.custom_fields().at("drop").kind_case(), google::protobuf::Value::kNullValue);
  // Applying the diff to `before` yields `after` for every patchable field.
  ApplyPatch(patch, &before);
  EXPECT_EQ(DiffTickets(before, after).ByteSizeLong(), 0u);
}

TEST(DiffTicketsTest, ComparesCustomFieldValuesOfEveryKind) {
  auto before = FromJson<v1::Ticket>(R"({"id": "t1", "custom_fields": {"n": 1, "s": "a",
      "b": true, "z": null, "l": [1, "x"], "o": {"k": [1]}, "kind": 1,
      "same_n": 2.5, "same_l": [1, {"k": "v"}], "same_o": {"a": {"b": null}}}})");
  auto after = FromJson<v1::Ticket>(R"({"id": "t1", "custom_fields": {"n": 2, "s": "b",
      "b": false, "z": null, "l": [1, "y"], "o": {"k": [2]}, "kind": "1",
      "same_n": 2.5, "same_l": [1, {"k": "v"}], "same_o": {"a": {"b": null}}}})");
  auto patch = DiffTickets(before, after);
  std::vector<std::string> changed;
  for (const auto& [key, value] : patch.custom_fields()) changed.push_back(key);
  std::sort(changed.begin(), changed.end());
  EXPECT_THAT(changed, ElementsAre("b", "kind", "l", "n", "o", "s"));
}

}  // namespace
}  // namespace triggerfish::server::engine
