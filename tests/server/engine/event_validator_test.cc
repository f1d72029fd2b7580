// Validation of incoming events before they reach the trigger cycle.

#include "server/engine/event_validator.h"
#include "server/engine/limits.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/engine/condition_harness.h"
#include "tests/server/testing/proto_json.h"

namespace triggerfish::server::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Violation;
using triggerfish::testing::FromJson;

std::vector<FieldViolation> Validate(const v1::Event& event) {
  Violations violations;
  ValidateEvent(event, "event.", RuleLimits().max_event_bytes, &violations);
  return violations.items();
}

v1::Event Valid() {
  return FromJson<v1::Event>(R"({"id": "e1", "type": "ticket.updated",
      "occurred_at": "2026-01-31T09:00:00Z",
      "ticket": {"id": "t1", "status": "TICKET_STATUS_OPEN",
                 "custom_fields": {"plan": "gold", "nested": {"a": [1, 2]}}},
      "previous": {"id": "t1"}})");
}

TEST(EventValidatorTest, ValidEventHasNoViolations) { EXPECT_THAT(Validate(Valid()), IsEmpty()); }

TEST(EventValidatorTest, IdTypeAndTicketAreRequired) {
  EXPECT_THAT(Validate(v1::Event()),
              ElementsAre(Violation("event.id", "required"), Violation("event.type", "required"),
                          Violation("event.ticket", "required")));
  v1::Event e = Valid();
  e.clear_previous();
  e.mutable_ticket()->clear_id();
  EXPECT_THAT(Validate(e), ElementsAre(Violation("event.ticket.id", "required")));
}

TEST(EventValidatorTest, MalformedIdsAndTypes) {
  v1::Event e = Valid();
  e.set_id(std::string(129, 'x'));
  e.set_type("TicketUpdated");
  e.mutable_ticket()->set_id(std::string(129, 't'));
  e.mutable_previous()->set_id(std::string(129, 't'));
  EXPECT_THAT(Validate(e),
              ElementsAre(Violation("event.id", "longer than 128"),
                          Violation("event.type", "\"TicketUpdated\" is not a lower-case dotted"),
                          Violation("event.ticket.id", "longer than 128"),
                          Violation("event.previous.id", "longer than 128")));
}

TEST(EventValidatorTest, PreviousMustBeTheSameTicket) {
  v1::Event e = Valid();
  e.mutable_previous()->set_id("t2");
  EXPECT_THAT(Validate(e), ElementsAre(Violation("event.previous.id", "must equal ticket.id")));
}

TEST(EventValidatorTest, UnknownEnumNumbersAndBadTimestamps) {
  v1::Event e = Valid();
  e.mutable_ticket()->set_status(static_cast<v1::TicketStatus>(42));
  e.mutable_previous()->set_priority(static_cast<v1::TicketPriority>(-1));
  e.mutable_occurred_at()->set_nanos(-5);
  e.mutable_ticket()->mutable_created_at()->set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_THAT(Validate(e),
              ElementsAre(Violation("event.occurred_at", "timestamp out of range"),
                          Violation("event.ticket.status", "unknown status number 42"),
                          Violation("event.ticket.created_at", "timestamp out of range"),
                          Violation("event.previous.priority", "unknown priority number -1")));
}

TEST(EventValidatorTest, CustomFieldValuesMustBeFiniteAndShallow) {
  v1::Event e = Valid();
  auto& fields = *e.mutable_ticket()->mutable_custom_fields();
  fields["score"].set_number_value(std::numeric_limits<double>::infinity());
  google::protobuf::Value* deep = &fields["deep"];
  for (int i = 0; i < 20; ++i) deep = deep->mutable_list_value()->add_values();
  deep->set_string_value("bottom");
  fields["list"].mutable_list_value()->add_values()->set_number_value(
      std::numeric_limits<double>::quiet_NaN());
  auto violations = Validate(e);
  EXPECT_THAT(violations,
              ::testing::UnorderedElementsAre(
                  Violation("event.ticket.custom_fields.score", "number must be finite"),
                  Violation("event.ticket.custom_fields.list[0]", "number must be finite"),
                  Violation("event.ticket.custom_fields.deep[0][0][0][0][0][0][0][0]"
                            "[0][0][0][0][0][0][0][0]",
                            "nested deeper than 16 levels")));
}

TEST(EventValidatorTest, PayloadValuesMustBeFiniteAndShallowToo) {
  v1::Event e = Valid();
  auto& fields = *e.mutable_payload()->mutable_struct_value()->mutable_fields();
  fields["ratio"].set_number_value(std::numeric_limits<double>::quiet_NaN());
  google::protobuf::Value* deep = &fields["deep"];
  for (int i = 0; i < 20; ++i) deep = deep->mutable_list_value()->add_values();
  deep->set_number_value(1);
  EXPECT_THAT(Validate(e), ::testing::UnorderedElementsAre(
                               Violation("event.payload.ratio", "number must be finite"),
                               Violation("event.payload.deep[0][0][0][0][0][0][0][0][0][0][0][0]"
                                         "[0][0][0]",
                                         "nested deeper than 16 levels")));
}

}  // namespace
}  // namespace triggerfish::server::engine
