// Every operator over every field type it applies to, evaluated the way a
// rule saved by a user is: compiled, then run against an event. The edge
// cases are the ones users hit: empty vs absent, case, empty lists, `in []`,
// numbers vs strings, timestamps, Unicode, `not` of a missing field.

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/engine/condition.h"
#include "tests/server/engine/condition_harness.h"

namespace triggerfish::server::engine {
namespace {

using testing::ChangeEvent;
using testing::ConditionHarness;
using testing::Pred;
using testing::PredIgnoreCase;
using testing::TicketEvent;

class OperatorsTest : public ::testing::Test {
 protected:
  ConditionHarness h_;
};

// ---------------------------------------------------------------- text fields

TEST_F(OperatorsTest, TextIsAndIsNotAreExactAndCaseSensitive) {
  const std::string refund = TicketEvent(R"("subject": "Refund please")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "is", R"("Refund please")"), refund));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "is", R"("refund please")"), refund));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "is", R"("Refund")"), refund));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "is_not", R"("refund please")"), refund));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "is_not", R"("Refund please")"), refund));
}

TEST_F(OperatorsTest, TextIsWithIgnoreCase) {
  const std::string refund = TicketEvent(R"("subject": "Refund please")");
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.subject", "is", R"("REFUND PLEASE")"), refund));
  EXPECT_FALSE(h_.Holds(PredIgnoreCase("ticket.subject", "is_not", R"("refund PLEASE")"), refund));
}

TEST_F(OperatorsTest, TextContainsStartsWithEndsWith) {
  const std::string e = TicketEvent(R"("description": "My order #123 never arrived")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "contains", R"("order #123")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "contains", R"("Order #123")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.description", "contains", R"("ORDER #123")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "not_contains", R"("never")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "not_contains", R"("refund")"), e));
  EXPECT_FALSE(h_.Holds(PredIgnoreCase("ticket.description", "not_contains", R"("NEVER")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "starts_with", R"("My order")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "starts_with", R"("order")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.description", "starts_with", R"("my ORDER")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "ends_with", R"("arrived")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "ends_with", R"("Arrived")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.description", "ends_with", R"("ARRIVED")"), e));
  // The whole text contains, starts and ends with itself.
  const std::string whole = R"("My order #123 never arrived")";
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "contains", whole), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "starts_with", whole), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "ends_with", whole), e));
}

TEST_F(OperatorsTest, TextInAndNotIn) {
  const std::string email = TicketEvent(R"("channel": "email")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.channel", "in", R"(["web", "email"])"), email));
  EXPECT_FALSE(h_.Holds(Pred("ticket.channel", "in", R"(["web", "Email"])"), email));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.channel", "in", R"(["web", "EMAIL"])"), email));
  EXPECT_TRUE(h_.Holds(Pred("ticket.channel", "not_in", R"(["web", "chat"])"), email));
  EXPECT_FALSE(h_.Holds(Pred("ticket.channel", "not_in", R"(["web", "email"])"), email));
  EXPECT_FALSE(h_.Holds(PredIgnoreCase("ticket.channel", "not_in", R"(["EMAIL"])"), email));
}

TEST_F(OperatorsTest, InEmptyListNeverHoldsAndNotInEmptyListHoldsForPresentFields) {
  const std::string email = TicketEvent(R"("channel": "email")");
  EXPECT_FALSE(h_.Holds(Pred("ticket.channel", "in", "[]"), email));
  EXPECT_TRUE(h_.Holds(Pred("ticket.channel", "not_in", "[]"), email));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "in", "[]"),
                        TicketEvent(R"("status": "TICKET_STATUS_OPEN")")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "not_in", "[]"),
                       TicketEvent(R"("status": "TICKET_STATUS_OPEN")")));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.plan", "in", "[]"),
                        TicketEvent(R"("custom_fields": {"plan": "gold"})")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "not_in", "[]"),
                       TicketEvent(R"("custom_fields": {"plan": "gold"})")));
  // An absent field is not "not in" anything: every operator but absent is false.
  EXPECT_FALSE(h_.Holds(Pred("ticket.channel", "not_in", "[]"), TicketEvent()));
}

TEST_F(OperatorsTest, TextMatchesIsAnUnanchoredRe2Search) {
  const std::string e = TicketEvent(R"("subject": "Order ABC-1234 is late")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "matches", R"("[A-Z]{3}-\\d{4}")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "matches", R"("^[A-Z]{3}-\\d{4}$")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "matches", R"("^Order .* late$")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "matches", R"("order")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.subject", "matches", R"("order abc")"), e));
}

TEST_F(OperatorsTest, MatchesCaseInsensitiveFoldsUnicode) {
  const std::string e = TicketEvent(R"("subject": "Großer ÄRGER mit der Lieferung")");
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "matches", R"("ärger")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.subject", "matches", R"("ärger")"), e));
}

TEST_F(OperatorsTest, CatastrophicBacktrackingPatternEvaluatesQuickly) {
  // (a+)+$ takes exponential time in a backtracking engine on "aaaa...b";
  // RE2 is linear, so a hostile rule cannot stall the trigger cycle.
  const std::string body = std::string(100'000, 'a') + "b";
  const std::string event = TicketEvent("\"description\": \"" + body + "\"");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "matches", R"("(a+)+$")"), event));
  EXPECT_TRUE(h_.Holds(Pred("ticket.description", "matches", R"("(a+)+b$")"), event));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST_F(OperatorsTest, EmptyCoreTextFieldIsAbsent) {
  const std::string empty = TicketEvent(R"("subject": "", "assignee_id": "")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "absent"), empty));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "present"), empty));
  EXPECT_TRUE(h_.Holds(Pred("ticket.assignee_id", "absent"), empty));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "present"), TicketEvent(R"("subject": " ")")));
}

TEST_F(OperatorsTest, AbsentTextFieldMakesEveryOperatorFalseExceptAbsent) {
  const std::string e = TicketEvent();  // no subject
  for (const char* op :
       {"is", "is_not", "contains", "not_contains", "starts_with", "ends_with", "matches"}) {
    SCOPED_TRACE(op);
    EXPECT_FALSE(h_.Holds(Pred("ticket.subject", op, R"("x")"), e));
    EXPECT_FALSE(h_.Holds(PredIgnoreCase("ticket.subject", op, R"("x")"), e));
  }
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "in", R"(["x"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "not_in", R"(["x"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "present"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "absent"), e));
}

TEST_F(OperatorsTest, NotOfAMissingFieldHolds) {
  const std::string e = TicketEvent();
  EXPECT_TRUE(h_.Holds(R"({"not": )" + Pred("ticket.subject", "is", R"("x")") + "}", e));
  EXPECT_TRUE(h_.Holds(R"({"not": )" + Pred("ticket.subject", "is_not", R"("x")") + "}", e));
  EXPECT_TRUE(
      h_.Holds(R"({"not": )" + Pred("ticket.custom_fields.plan", "is", R"("gold")") + "}", e));
  EXPECT_TRUE(h_.Holds(R"({"not": )" + Pred("comment.body", "contains", R"("x")") + "}", e));
  EXPECT_FALSE(h_.Holds(R"({"not": )" + Pred("ticket.subject", "absent") + "}", e));
}

TEST_F(OperatorsTest, EveryCoreTextFieldIsReadFromItsPlace) {
  const std::string e = TicketEvent(
      R"("id": "T-9", "subject": "s", "description": "d", "type": "incident", "channel": "chat",
         "requester": {"id": "r1", "email": "ann@example.com", "name": "Ann", "organization": "acme"},
         "assignee_id": "agent7", "group_id": "tier1")",
      R"("actor": "agent7", "comment": {"id": "c1", "body": "hello", "author_id": "r1"})");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ticket.subject", "s"},
      {"ticket.description", "d"},
      {"ticket.type", "incident"},
      {"ticket.channel", "chat"},
      {"ticket.requester.id", "r1"},
      {"ticket.requester.email", "ann@example.com"},
      {"ticket.requester.name", "Ann"},
      {"ticket.requester.organization", "acme"},
      {"ticket.assignee_id", "agent7"},
      {"ticket.group_id", "tier1"},
      {"comment.id", "c1"},
      {"comment.body", "hello"},
      {"comment.author_id", "r1"},
      {"event.type", "ticket.updated"},
      {"event.actor", "agent7"},
  };
  for (const auto& [field, value] : expected) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(h_.Holds(Pred(field, "is", "\"" + value + "\""), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "is", R"("other")"), e));
  }
}

TEST_F(OperatorsTest, TicketIdFieldCanBeCompared) {
  // TicketEvent sets ticket.id to "t1".
  EXPECT_TRUE(h_.Holds(Pred("ticket.id", "is", R"("t1")"), TicketEvent()));
  EXPECT_TRUE(h_.Holds(Pred("ticket.id", "starts_with", R"("t")"), TicketEvent()));
}

TEST_F(OperatorsTest, CommentFieldsAreAbsentWithoutAComment) {
  const std::string e = TicketEvent();
  EXPECT_TRUE(h_.Holds(Pred("comment.body", "absent"), e));
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "absent"), e));
  EXPECT_FALSE(h_.Holds(Pred("comment.public", "is", "false"), e));
  EXPECT_FALSE(h_.Holds(Pred("comment.public", "is_not", "true"), e));
  EXPECT_FALSE(h_.Holds(Pred("comment.body", "not_contains", R"("x")"), e));
}

// ---------------------------------------------------------------- unicode

TEST_F(OperatorsTest, CaseSensitiveByDefaultForNonAsciiText) {
  const std::string e = TicketEvent(R"("subject": "ÄRGER mit der Rechnung")");
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "contains", R"("ärger")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "contains", R"("ÄRGER")"), e));
}

TEST_F(OperatorsTest, IgnoreCaseFoldsGermanGreekAndCyrillic) {
  struct Case {
    const char* actual;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{
           {"ÄRGER mit der Rechnung", "ärger"},
           {"ärger mit der Rechnung", "ÄRGER"},
           {"ΣΟΦΟΣ πελάτης", "σοφος"},  // capital sigma vs final sigma
           {"σοφος πελάτης", "ΣΟΦΟΣ"},
           {"ЖАЛОБА на доставку", "жалоба"},
           {"Жалоба на доставку", "ЖАЛОБА НА"},
       }) {
    SCOPED_TRACE(c.actual);
    const std::string e = TicketEvent(std::string(R"("subject": ")") + c.actual + "\"");
    const std::string expected = std::string("\"") + c.expected + "\"";
    EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.subject", "contains", expected), e));
    EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.subject", "starts_with", expected), e));
    EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "starts_with", expected), e));
  }
}

TEST_F(OperatorsTest, IgnoreCaseIsOnWholeUnicodeValues) {
  const std::string e = TicketEvent(R"("type": "Réclamation", "tags": ["VIP-Ärger"])");
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.type", "is", R"("RÉCLAMATION")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.type", "is", R"("RÉCLAMATION")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.type", "in", R"(["réclamation"])"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.tags", "includes_any", R"(["vip-ärger"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_any", R"(["vip-ärger"])"), e));
}

TEST_F(OperatorsTest, IgnoreCaseTextOperatorsAgreeWithCaseInsensitiveRegexes) {
  // A dose written with the micro sign matches one written with Greek mu,
  // whether the rule uses contains or matches.
  const std::string e = TicketEvent(R"("description": "Patient got 5 µg too much")");
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.description", "contains", R"("5 μG")"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.description", "matches", R"("5 μG")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.description", "contains", R"("5 μg")"), e));
}

// ---------------------------------------------------------------- ordered enums

TEST_F(OperatorsTest, StatusIsComparesByName) {
  const std::string open = TicketEvent(R"("status": "TICKET_STATUS_OPEN")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "is", R"("open")"), open));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "is", R"("OPEN")"), open));  // names any case
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "is", R"("pending")"), open));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "is_not", R"("pending")"), open));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "is", R"("on_hold")"),
                       TicketEvent(R"("status": "TICKET_STATUS_ON_HOLD")")));
}

TEST_F(OperatorsTest, StatusOrderingFollowsTheLifecycle) {
  // new < open < pending < on_hold < solved < closed
  const std::string pending = TicketEvent(R"("status": "TICKET_STATUS_PENDING")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "less_than", R"("solved")"), pending));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "less_than", R"("on_hold")"), pending));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "less_than", R"("pending")"), pending));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "less_than_or_equal", R"("pending")"), pending));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "less_than_or_equal", R"("open")"), pending));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "greater_than", R"("new")"), pending));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "greater_than", R"("pending")"), pending));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "greater_than_or_equal", R"("pending")"), pending));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "greater_than_or_equal", R"("closed")"), pending));
}

TEST_F(OperatorsTest, PriorityOrderingLowNormalHighUrgent) {
  const std::string high = TicketEvent(R"("priority": "TICKET_PRIORITY_HIGH")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "greater_than", R"("normal")"), high));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "greater_than", R"("high")"), high));
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "greater_than_or_equal", R"("high")"), high));
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "less_than", R"("urgent")"), high));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "less_than", R"("low")"), high));
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "less_than_or_equal", R"("high")"), high));
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "in", R"(["high", "urgent"])"), high));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "not_in", R"(["high", "urgent"])"), high));
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "not_in", R"(["low"])"), high));
}

TEST_F(OperatorsTest, UnspecifiedEnumIsAbsentNotLowest) {
  const std::string none = TicketEvent();
  EXPECT_TRUE(h_.Holds(Pred("ticket.priority", "absent"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "less_than", R"("normal")"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "less_than_or_equal", R"("urgent")"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.priority", "is_not", R"("high")"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "not_in", R"(["closed"])"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "present"), none));
}

// ---------------------------------------------------------------- tags

TEST_F(OperatorsTest, TagsIncludesAnyAllNone) {
  const std::string e = TicketEvent(R"("tags": ["vip", "billing", "refund"])");
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_any", R"(["spam", "vip"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_any", R"(["spam", "legal"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_all", R"(["vip", "refund"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_all", R"(["vip", "legal"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_all", R"(["vip", "vip"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_none", R"(["spam", "legal"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_none", R"(["spam", "billing"])"), e));
}

TEST_F(OperatorsTest, TagsAreCaseSensitiveUnlessIgnoreCase) {
  const std::string e = TicketEvent(R"("tags": ["VIP"])");
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_any", R"(["vip"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_none", R"(["vip"])"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.tags", "includes_any", R"(["vip"])"), e));
  EXPECT_TRUE(h_.Holds(PredIgnoreCase("ticket.tags", "includes_all", R"(["Vip", "vIP"])"), e));
  EXPECT_FALSE(h_.Holds(PredIgnoreCase("ticket.tags", "includes_none", R"(["vip"])"), e));
}

TEST_F(OperatorsTest, EmptyTagListIsStillAList) {
  const std::string none = TicketEvent();
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_none", R"(["spam"])"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_any", R"(["spam"])"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_all", R"(["spam"])"), none));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "absent"), none));
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "present"), none));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "present"), TicketEvent(R"("tags": ["a"])")));
}

TEST_F(OperatorsTest, IncludesWithAnEmptyExpectedListIsVacuous) {
  // Every list includes all of nothing and none of nothing, but not "any" of
  // nothing; an empty tag list is no exception.
  for (const std::string& e : {TicketEvent(), TicketEvent(R"("tags": ["a"])")}) {
    SCOPED_TRACE(e);
    EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "includes_any", "[]"), e));
    EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_all", "[]"), e));
    EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "includes_none", "[]"), e));
  }
}

// ---------------------------------------------------------------- bool

TEST_F(OperatorsTest, CommentPublicBool) {
  const std::string internal = TicketEvent("", R"("comment": {"body": "note", "public": false})");
  const std::string shown = TicketEvent("", R"("comment": {"body": "hi", "public": true})");
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "is", "false"), internal));
  EXPECT_FALSE(h_.Holds(Pred("comment.public", "is", "true"), internal));
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "is", "true"), shown));
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "is_not", "true"), internal));
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "in", "[true]"), shown));
  EXPECT_FALSE(h_.Holds(Pred("comment.public", "in", "[true]"), internal));
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "not_in", "[true]"), internal));
  // A false bool is a value, not absence.
  EXPECT_TRUE(h_.Holds(Pred("comment.public", "present"), internal));
}

// ---------------------------------------------------------------- numbers

class HoursSinceTest : public OperatorsTest {
 protected:
  // The event is evaluated 30 hours after the ticket was created and 2.5
  // hours after it was updated.
  bool HoldsNow(const std::string& condition) {
    return h_.Holds(condition, TicketEvent(R"("created_at": "2026-03-01T04:00:00Z",
                                   "updated_at": "2026-03-02T07:30:00Z")"),
                    *ParseTimestampMicros("2026-03-02T10:00:00Z"));
  }
};

TEST_F(HoursSinceTest, ComputedAgainstTheEvaluationInstant) {
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "greater_than", "24")));
  EXPECT_FALSE(HoldsNow(Pred("ticket.hours_since_created", "greater_than", "30")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "greater_than_or_equal", "30")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "is", "30")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "is_not", "29")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "less_than", "30.5")));
  EXPECT_FALSE(HoldsNow(Pred("ticket.hours_since_created", "less_than", "30")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "less_than_or_equal", "30")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "in", "[1, 30]")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_created", "not_in", "[1, 2]")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_updated", "is", "2.5")));
  EXPECT_TRUE(HoldsNow(Pred("ticket.hours_since_updated", "less_than", "3")));
}

TEST_F(HoursSinceTest, LaterEvaluationSeesMoreHours) {
  const std::string e = TicketEvent(R"("created_at": "2026-03-01T00:00:00Z")");
  const std::string over_a_day = Pred("ticket.hours_since_created", "greater_than", "24");
  EXPECT_FALSE(h_.Holds(over_a_day, e, *ParseTimestampMicros("2026-03-01T23:59:59Z")));
  EXPECT_TRUE(h_.Holds(over_a_day, e, *ParseTimestampMicros("2026-03-02T00:00:01Z")));
}

TEST_F(HoursSinceTest, AbsentWithoutTheTimestamp) {
  const std::string e = TicketEvent();
  EXPECT_TRUE(h_.Holds(Pred("ticket.hours_since_created", "absent"), e, 1));
  EXPECT_FALSE(h_.Holds(Pred("ticket.hours_since_created", "less_than", "1000000"), e, 1));
}

// ---------------------------------------------------------------- timestamps

TEST_F(OperatorsTest, TimestampIsAcceptsAnyOffsetForTheSameInstant) {
  const std::string e = TicketEvent(R"("created_at": "2026-01-31T09:00:00Z")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.created_at", "is", R"("2026-01-31T09:00:00Z")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.created_at", "is", R"("2026-01-31T11:00:00+02:00")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.created_at", "is", R"("2026-01-31T04:00:00-05:00")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.created_at", "is", R"("2026-01-31T09:00:00+02:00")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.created_at", "is_not", R"("2026-01-31T09:00:01Z")"), e));
  EXPECT_TRUE(h_.Holds(
      Pred("ticket.created_at", "in", R"(["2020-01-01T00:00:00Z", "2026-01-31T10:00:00+01:00"])"),
      e));
}

TEST_F(OperatorsTest, TimestampOrdering) {
  const std::string e = TicketEvent(R"("updated_at": "2026-01-31T09:00:00.250Z")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.updated_at", "greater_than", R"("2026-01-31T09:00:00Z")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.updated_at", "less_than", R"("2026-01-31T09:00:00Z")"), e));
  EXPECT_FALSE(
      h_.Holds(Pred("ticket.updated_at", "less_than", R"("2026-01-31T10:00:00.100+01:00")"), e));
  EXPECT_TRUE(h_.Holds(
      Pred("ticket.updated_at", "greater_than_or_equal", R"("2026-01-31T10:00:00.250+01:00")"), e));
  EXPECT_TRUE(h_.Holds(
      Pred("ticket.updated_at", "less_than_or_equal", R"("2026-01-31T09:00:00.250Z")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.updated_at", "less_than", R"("2026-02-01T00:00:00Z")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.created_at", "less_than", R"("2099-01-01T00:00:00Z")"), e));
}

TEST_F(OperatorsTest, ExplanationShowsTimestampsInUtc) {
  auto e = h_.ExplainOn(Pred("ticket.created_at", "is", R"("2026-01-31T11:00:00+02:00")"),
                        TicketEvent(R"("created_at": "2026-01-31T09:00:00Z")"));
  EXPECT_TRUE(e.result());
  EXPECT_EQ(e.predicate().actual().string_value(), "2026-01-31T09:00:00Z");
  EXPECT_EQ(e.predicate().expected().string_value(), "2026-01-31T11:00:00+02:00");
}

// ---------------------------------------------------------------- custom fields

TEST_F(OperatorsTest, CustomStringField) {
  const std::string e = TicketEvent(R"("custom_fields": {"plan": "Enterprise Gold"})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "is", R"("Enterprise Gold")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.plan", "is", R"("enterprise gold")"), e));
  EXPECT_TRUE(
      h_.Holds(PredIgnoreCase("ticket.custom_fields.plan", "is", R"("enterprise gold")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "is_not", R"("Free")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "contains", R"("Gold")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "not_contains", R"("Free")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "starts_with", R"("Enter")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "ends_with", R"("Gold")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "matches", R"("^Ent.*d$")"), e));
  EXPECT_TRUE(
      h_.Holds(Pred("ticket.custom_fields.plan", "in", R"(["Free", "Enterprise Gold"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "not_in", R"(["Free"])"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "present"), e));
}

TEST_F(OperatorsTest, CustomNumberField) {
  const std::string e = TicketEvent(R"("custom_fields": {"seats": 50})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "is", "50"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "is", "50.0"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "is_not", "51"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "greater_than", "49.5"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.seats", "greater_than", "50"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "greater_than_or_equal", "50"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "less_than", "100"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "less_than_or_equal", "50"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "in", "[10, 50]"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.seats", "not_in", "[10, 50]"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.seats", "less_than", "-1"), e));
}

TEST_F(OperatorsTest, NumbersAndStringsNeverEqualInCustomFields) {
  const std::string number = TicketEvent(R"("custom_fields": {"level": 5})");
  const std::string text = TicketEvent(R"("custom_fields": {"level": "5"})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "is", "5"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "is", R"("5")"), number));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "is", R"("5")"), text));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "is", "5"), text));
  // A mistyped field makes the predicate false, whatever the operator.
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "is_not", "5"), text));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "is_not", R"("6")"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "greater_than", "1"), text));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "contains", R"("5")"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "matches", R"("5")"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "in", R"(["5"])"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "not_in", R"(["6"])"), number));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "includes_any", R"(["5"])"), text));
  // A list of both types matches the value of either.
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "in", R"(["5", 5])"), number));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "in", R"(["5", 5])"), text));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "not_in", R"(["6", 6])"), number));
}

TEST_F(OperatorsTest, CustomBoolField) {
  const std::string e = TicketEvent(R"("custom_fields": {"vip": true, "trial": false})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.vip", "is", "true"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.trial", "is", "false"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.trial", "present"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.trial", "is_not", "true"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.vip", "is", R"("true")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.vip", "is", "1"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.vip", "in", "[true]"), e));
}

TEST_F(OperatorsTest, CustomListField) {
  const std::string e =
      TicketEvent(R"("custom_fields": {"products": ["router", "Modem"], "empty": []})");
  EXPECT_TRUE(
      h_.Holds(Pred("ticket.custom_fields.products", "includes_any", R"(["modem", "router"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.products", "includes_all", R"(["modem"])"), e));
  EXPECT_TRUE(h_.Holds(
      PredIgnoreCase("ticket.custom_fields.products", "includes_all", R"(["modem", "ROUTER"])"),
      e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.products", "includes_none", R"(["switch"])"), e));
  // An empty list custom field is present and still a list.
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.empty", "present"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.empty", "includes_none", R"(["x"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.empty", "includes_any", R"(["x"])"), e));
  // A list is not a scalar: is / contains on it are false.
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.products", "is", R"("router")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.products", "contains", R"("router")"), e));
  // A missing list field is absent, not an empty list.
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.missing", "includes_none", R"(["x"])"), e));
}

TEST_F(OperatorsTest, CustomListWithNonStringsComparesItsStrings) {
  const std::string e = TicketEvent(R"("custom_fields": {"mixed": ["a", 1, true]})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.mixed", "includes_any", R"(["a"])"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.mixed", "includes_any", R"(["1"])"), e));
  auto why = h_.ExplainOn(Pred("ticket.custom_fields.mixed", "includes_any", R"(["1"])"), e);
  EXPECT_NE(why.predicate().note().find("not strings"), std::string::npos) << why.DebugString();
}

TEST_F(OperatorsTest, NullAndMissingCustomFieldsAreAbsent) {
  const std::string e = TicketEvent(R"("custom_fields": {"plan": null})");
  for (const char* field : {"ticket.custom_fields.plan", "ticket.custom_fields.missing"}) {
    SCOPED_TRACE(field);
    EXPECT_TRUE(h_.Holds(Pred(field, "absent"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "present"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "is", R"("gold")"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "is_not", R"("gold")"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "not_contains", R"("gold")"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "not_in", R"(["gold"])"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "less_than", "10"), e));
    EXPECT_FALSE(h_.Holds(Pred(field, "includes_none", R"(["gold"])"), e));
  }
}

TEST_F(OperatorsTest, EmptyStringCustomFieldIsPresent) {
  // Unlike core text fields, a custom field keeps its JSON value: "" is a
  // string, only a missing field or null is absent.
  const std::string e = TicketEvent(R"("custom_fields": {"note": ""})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.note", "present"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.note", "is", R"("")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.note", "is", R"("x")"), e));
}

TEST_F(OperatorsTest, StructCustomFieldIsPresentButComparesWithNothing) {
  const std::string e = TicketEvent(R"("custom_fields": {"address": {"city": "Oslo"}})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.address", "present"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.address", "is", R"("Oslo")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.address", "contains", R"("Oslo")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.address", "includes_any", R"(["Oslo"])"), e));
  auto why = h_.ExplainOn(Pred("ticket.custom_fields.address", "is", R"("Oslo")"), e);
  EXPECT_EQ(why.predicate().note(), "field holds an object, the rule expects a string");
}

TEST_F(OperatorsTest, CustomFieldTimestampOrdering) {
  const std::string e =
      TicketEvent(R"("custom_fields": {"due": "2026-05-01T12:00:00+02:00", "bad": "soon"})");
  EXPECT_TRUE(
      h_.Holds(Pred("ticket.custom_fields.due", "less_than", R"("2026-05-01T11:00:00Z")"), e));
  EXPECT_FALSE(
      h_.Holds(Pred("ticket.custom_fields.due", "greater_than", R"("2026-05-01T10:00:00Z")"), e));
  EXPECT_TRUE(h_.Holds(
      Pred("ticket.custom_fields.due", "greater_than_or_equal", R"("2026-05-01T10:00:00Z")"), e));
  EXPECT_FALSE(
      h_.Holds(Pred("ticket.custom_fields.bad", "less_than", R"("2026-05-01T11:00:00Z")"), e));
  auto why =
      h_.ExplainOn(Pred("ticket.custom_fields.bad", "less_than", R"("2026-05-01T11:00:00Z")"), e);
  EXPECT_NE(why.predicate().note().find("not an RFC 3339 timestamp"), std::string::npos)
      << why.DebugString();
}

// ---------------------------------------------------------------- changes

TEST_F(OperatorsTest, ChangedAndNotChangedCompareWithPrevious) {
  const std::string e = ChangeEvent(R"("status": "TICKET_STATUS_NEW", "subject": "Hi")",
                                    R"("status": "TICKET_STATUS_OPEN", "subject": "Hi")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "changed"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "not_changed"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.subject", "changed"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.subject", "not_changed"), e));
  // Both absent: unchanged.
  EXPECT_TRUE(h_.Holds(Pred("ticket.assignee_id", "not_changed"), e));
}

TEST_F(OperatorsTest, ChangedFromAndChangedTo) {
  const std::string e =
      ChangeEvent(R"("status": "TICKET_STATUS_NEW")", R"("status": "TICKET_STATUS_OPEN")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "changed_from", R"("new")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_from", R"("open")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.status", "changed_to", R"("open")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_to", R"("new")"), e));
  // No change: neither holds even when the value matches.
  const std::string same =
      ChangeEvent(R"("status": "TICKET_STATUS_OPEN")", R"("status": "TICKET_STATUS_OPEN")");
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_to", R"("open")"), same));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_from", R"("open")"), same));
}

TEST_F(OperatorsTest, ChangesFromAndToAbsent) {
  const std::string assigned = ChangeEvent("", R"("assignee_id": "agent1")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.assignee_id", "changed"), assigned));
  EXPECT_TRUE(h_.Holds(Pred("ticket.assignee_id", "changed_to", R"("agent1")"), assigned));
  EXPECT_FALSE(h_.Holds(Pred("ticket.assignee_id", "changed_from", R"("agent1")"), assigned));
  const std::string unassigned = ChangeEvent(R"("assignee_id": "agent1")", "");
  EXPECT_TRUE(h_.Holds(Pred("ticket.assignee_id", "changed_from", R"("agent1")"), unassigned));
  EXPECT_FALSE(h_.Holds(Pred("ticket.assignee_id", "changed_to", R"("agent1")"), unassigned));
}

TEST_F(OperatorsTest, ChangeOperatorsWithoutPreviousAreFalseAndSaySo) {
  const std::string e = TicketEvent(R"("status": "TICKET_STATUS_OPEN")");
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "not_changed"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_to", R"("open")"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.status", "changed_from", R"("new")"), e));
  auto why = h_.ExplainOn(Pred("ticket.status", "changed"), e);
  EXPECT_EQ(why.predicate().note(), "event has no previous ticket, so no change can be seen");
  EXPECT_FALSE(why.predicate().has_previous());
}

TEST_F(OperatorsTest, TagsChangeComparesAsMultisets) {
  // Reordering is not a change; adding, removing or repeating a tag is.
  EXPECT_FALSE(h_.Holds(Pred("ticket.tags", "changed"),
                        ChangeEvent(R"("tags": ["a", "b"])", R"("tags": ["b", "a"])")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "not_changed"),
                       ChangeEvent(R"("tags": ["a", "b"])", R"("tags": ["b", "a"])")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "changed"),
                       ChangeEvent(R"("tags": ["a", "b"])", R"("tags": ["a", "b", "c"])")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "changed"),
                       ChangeEvent(R"("tags": ["a", "a", "b"])", R"("tags": ["a", "b", "b"])")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "changed"), ChangeEvent(R"("tags": ["a"])", "")));
  EXPECT_TRUE(h_.Holds(Pred("ticket.tags", "not_changed"), ChangeEvent("", "")));
}

TEST_F(OperatorsTest, CustomFieldChanges) {
  const std::string e =
      ChangeEvent(R"("custom_fields": {"plan": "free", "seats": 5, "level": 5})",
                  R"("custom_fields": {"plan": "gold", "seats": 5, "level": "5"})");
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "changed"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "changed_from", R"("free")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.plan", "changed_to", R"("gold")"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.seats", "not_changed"), e));
  // 5 -> "5" is a change of type.
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "changed"), e));
  EXPECT_TRUE(h_.Holds(Pred("ticket.custom_fields.level", "changed_from", "5"), e));
  EXPECT_FALSE(h_.Holds(Pred("ticket.custom_fields.level", "changed_to", "5"), e));
}

TEST_F(OperatorsTest, TimestampChangeIgnoresTheOffsetOfTheInput) {
  const std::string e = ChangeEvent(R"("updated_at": "2026-01-31T09:00:00Z")",
                                    R"("updated_at": "2026-01-31T11:00:00+02:00")");
  EXPECT_TRUE(h_.Holds(Pred("ticket.updated_at", "not_changed"), e));
}

TEST_F(OperatorsTest, ChangeExplanationShowsPreviousValue) {
  auto why = h_.ExplainOn(
      Pred("ticket.priority", "changed_to", R"("urgent")"),
      ChangeEvent(R"("priority": "TICKET_PRIORITY_LOW")", R"("priority": "TICKET_PRIORITY_HIGH")"));
  EXPECT_FALSE(why.result());
  EXPECT_EQ(why.predicate().previous().string_value(), "low");
  EXPECT_EQ(why.predicate().actual().string_value(), "high");
  EXPECT_EQ(why.predicate().expected().string_value(), "urgent");
}

}  // namespace
}  // namespace triggerfish::server::engine
