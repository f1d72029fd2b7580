// Every configured limit against the real triggerfishd, started with small
// limits: exceeding one is INVALID_ARGUMENT (or RESOURCE_EXHAUSTED) with a
// reason that names the config key, and nothing is written. docs/limits.md
// lists each limit with the test here that proves it.

#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/testing/grpc_status.h"

namespace triggerfish {
namespace {

using testing::Client;
using testing::ErrorReason;
using testing::FieldViolations;
using testing::FromJson;
using testing::ServerProcess;
using testing::WriteConfig;

constexpr char kSmallLimits[] = R"(max_message_bytes: 65536
stream_window: 2
limits:
  max_condition_depth: 3
  max_predicates: 3
  max_actions: 2
  max_event_types: 2
  max_regex_length: 64
  regex_max_mem: 65536
  max_value_length: 16
  max_list_values: 3
  max_rule_bytes: 8192
  max_rules_per_tenant: 3
  max_event_bytes: 4096
)";

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--config", WriteConfig(kSmallLimits)});
    ASSERT_TRUE(server_->Start()) << server_->log();
    client_ = std::make_unique<Client>(server_->Channel());
  }

  static v1::Rule Rule(const std::string& json_fields = "") {
    return FromJson<v1::Rule>(R"({"name": "n", "trigger": {"event_types": ["ticket.created"]})" +
                              (json_fields.empty() ? "" : ", " + json_fields) + "}");
  }

  static std::string Predicate(const std::string& field, const std::string& op,
                               const std::string& value_json) {
    return R"({"predicate": {"field": ")" + field + R"(", "operator": ")" + op + R"(", "value": )" +
           value_json + "}}";
  }

  // Expects `rule` to be refused with a violation at `path` whose
  // description names `key`, and that no rule was saved.
  void ExpectRefused(const v1::Rule& rule, const std::string& path, const std::string& key) {
    auto status = client_->CreateRule("over", rule);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << key << ": " << status.error_message();
    auto violations = FieldViolations(status);
    ASSERT_TRUE(violations.contains(path)) << key << ": " << status.error_message();
    EXPECT_NE(violations[path].find(key), std::string::npos) << violations[path];
    EXPECT_EQ(client_->RuleIds(), std::vector<std::string>{}) << key;
  }

  // Expects `rule` to be accepted (validate_only: nothing saved).
  void ExpectAccepted(const v1::Rule& rule, const std::string& what) {
    grpc::ClientContext context;
    v1::CreateRuleRequest request;
    request.set_validate_only(true);
    *request.mutable_rule() = rule;
    v1::Rule out;
    auto status = client_->rules->CreateRule(&context, request, &out);
    EXPECT_TRUE(status.ok()) << what << ": " << status.error_message();
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(LimitsTest, ConditionDepthAndPredicateCount) {
  // Depth 3 is allowed, 4 is not (the root is level 1).
  const std::string leaf = Predicate("ticket.subject", "present", "null");
  ExpectAccepted(Rule(R"("condition": {"not": {"not": )" + leaf + "}}"), "depth 3");
  ExpectRefused(Rule(R"("condition": {"not": {"not": {"not": )" + leaf + "}}}"),
                "rule.condition.not.not.not", "limits.max_condition_depth");

  const std::string three = leaf + ", " + leaf + ", " + leaf;
  ExpectAccepted(Rule(R"("condition": {"all": [)" + three + "]}"), "3 predicates");
  ExpectRefused(Rule(R"("condition": {"all": [)" + three + ", " + leaf + "]}"),
                "rule.condition.all[3]", "limits.max_predicates");
}

TEST_F(LimitsTest, ActionsEventTypesValuesAndLists) {
  const std::string tag = R"({"type": "ticket.add_tags", "params": {"tags": ["x"]}})";
  ExpectAccepted(Rule(R"("actions": [)" + tag + ", " + tag + "]"), "2 actions");
  ExpectRefused(Rule(R"("actions": [)" + tag + ", " + tag + ", " + tag + "]"), "rule.actions",
                "limits.max_actions");

  ExpectRefused(FromJson<v1::Rule>(R"({"name": "n", "trigger": {"event_types":
                  ["ticket.created", "ticket.updated", "comment.created"]}})"),
                "rule.trigger.event_types", "limits.max_event_types");

  ExpectAccepted(
      Rule(R"("condition": )" + Predicate("ticket.subject", "contains", R"("sixteen bytes!!!")")),
      "16-byte value");
  ExpectRefused(
      Rule(R"("condition": )" + Predicate("ticket.subject", "contains", R"("seventeen bytes!!")")),
      "rule.condition.predicate.value", "limits.max_value_length");

  ExpectRefused(Rule(R"("condition": )" +
                     Predicate("ticket.tags", "includes_any", R"(["a", "b", "c", "d"])")),
                "rule.condition.predicate.value", "limits.max_list_values");
}

TEST_F(LimitsTest, RegexLengthAndProgramSize) {
  ExpectAccepted(Rule(R"("condition": )" +
                      Predicate("ticket.subject", "matches", "\"" + std::string(64, 'a') + "\"")),
                 "64-byte regex");
  ExpectRefused(Rule(R"("condition": )" +
                     Predicate("ticket.subject", "matches", "\"" + std::string(65, 'a') + "\"")),
                "rule.condition.predicate.value", "limits.max_regex_length");
  // Nine bytes, but every \pL is hundreds of UTF-8 byte ranges, repeated 100
  // times: far beyond 64 KiB of compiled program.
  ExpectRefused(Rule(R"("condition": )" + Predicate("ticket.subject", "matches", R"("\\pL{100}")")),
                "rule.condition.predicate.value", "limits.regex_max_mem");
}

TEST_F(LimitsTest, RuleBytes) {
  v1::Rule rule = Rule();
  rule.set_description(std::string(1500, 'd'));
  ExpectAccepted(rule, "small rule");
  // Over 8 KiB in all (the description is over its own 2000-byte limit too).
  rule.set_description(std::string(9000, 'd'));
  ExpectRefused(rule, "rule", "limits.max_rule_bytes");
}

TEST_F(LimitsTest, RulesPerTenantIsResourceExhaustedAndFreedByDelete) {
  for (const char* id : {"r1", "r2", "r3"}) ASSERT_TRUE(client_->CreateRule(id, Rule()).ok());
  auto status = client_->CreateRule("r4", Rule());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("limits.max_rules_per_tenant"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(ErrorReason(status), "RULE_LIMIT");
  EXPECT_EQ(client_->RuleIds(), (std::vector<std::string>{"r1", "r2", "r3"}));

  grpc::ClientContext context;
  v1::DeleteRuleRequest remove;
  remove.set_id("r2");
  google::protobuf::Empty empty;
  ASSERT_TRUE(client_->rules->DeleteRule(&context, remove, &empty).ok());
  EXPECT_TRUE(client_->CreateRule("r4", Rule()).ok());
}

TEST_F(LimitsTest, EventBytesAndMessageBytes) {
  v1::PublishEventResponse response;
  v1::Event event =
      FromJson<v1::Event>(R"({"id": "e1", "type": "ticket.created", "ticket": {"id": "T1"}})");
  event.mutable_ticket()->set_description(std::string(3900, 'd'));
  ASSERT_TRUE(client_->Publish(event, &response).ok()) << "under limits.max_event_bytes";

  event.set_id("e2");
  event.mutable_ticket()->set_id("T2");
  event.mutable_ticket()->set_description(std::string(5000, 'd'));
  auto status = client_->Publish(event, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(FieldViolations(status)["event"].find("limits.max_event_bytes"), std::string::npos)
      << status.error_message();

  // Over max_message_bytes (64 KiB here): gRPC refuses the message before
  // the server reads it.
  event.set_id("e3");
  event.mutable_ticket()->set_id("T3");
  event.mutable_ticket()->set_description(std::string(100 * 1024, 'd'));
  status = client_->Publish(event, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // Rules are messages too.
  v1::Rule rule = Rule();
  rule.set_description(std::string(100 * 1024, 'd'));
  status = client_->CreateRule("huge", rule);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();

  EXPECT_EQ(client_->TicketCount(), 1);
  v1::TicketRecord record;
  EXPECT_EQ(client_->GetTicket("T2", &record).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(client_->GetTicket("T3", &record).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(client_->RuleIds().empty());
  EXPECT_TRUE(client_->Serving());
}

TEST_F(LimitsTest, PagesStopShortOfMaxMessageBytes) {
  // 24 snapshots of ~3.9 kB: ~94 kB in all, over max_message_bytes (64 KiB)
  // if they went into one response.
  for (int i = 0; i < 24; ++i) {
    v1::Event event = FromJson<v1::Event>(R"({"id": "b)" + std::to_string(i) +
                                          R"(", "type": "ticket.created", "ticket": {"id": "T)" +
                                          std::to_string(100 + i) + R"("}})");
    event.mutable_ticket()->set_description(std::string(3800, 'd'));
    v1::PublishEventResponse response;
    ASSERT_TRUE(client_->Publish(event, &response).ok());
  }
  v1::ListTicketsRequest request;
  request.set_page_size(1000);
  int pages = 0;
  int tickets = 0;
  do {
    grpc::ClientContext context;
    v1::ListTicketsResponse response;
    auto status = client_->tickets->ListTickets(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GT(response.tickets_size(), 0);
    EXPECT_LT(response.ByteSizeLong(), 65536u);
    tickets += response.tickets_size();
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(tickets, 24);
  EXPECT_GT(pages, 2);
}

TEST_F(LimitsTest, AStreamBeyondItsWindowIsFlowControlledNotRefused) {
  ASSERT_TRUE(client_
                  ->CreateRule("tag", Rule(R"("actions": [{"type": "ticket.add_tags",
                                 "params": {"tags": ["seen"]}}])"))
                  .ok());
  // stream_window is 2: the client writes 200 events without reading a
  // single answer. The server stops reading beyond the window and gRPC's flow
  // control holds the rest; every event is answered, in order, none refused.
  grpc::ClientContext context;
  auto stream = client_->events->PublishEvents(&context);
  constexpr int kEvents = 200;
  std::thread writer([&] {
    for (int i = 0; i < kEvents; ++i) {
      v1::PublishEventRequest request;
      *request.mutable_event() =
          FromJson<v1::Event>(R"({"id": "s)" + std::to_string(i) + R"(", "type": "ticket.created",
              "ticket": {"id": "T)" +
                              std::to_string(i) + R"("}})");
      if (!stream->Write(request)) return;
    }
    stream->WritesDone();
  });
  int n = 0;
  for (v1::PublishEventsResponse response; stream->Read(&response); ++n) {
    EXPECT_EQ(response.event_id(), "s" + std::to_string(n));
    EXPECT_TRUE(response.has_result()) << response.error().ShortDebugString();
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(n, kEvents);
  EXPECT_EQ(client_->TicketCount(), kEvents);
}

// max_inflight_events is 2 and every event's inline action takes 1.5 s, one
// at a time (one tenant): of six events published at once, two are taken
// and four refused at once, UNAVAILABLE with the reason OVERLOADED, leaving
// nothing behind; the stream's events are refused one by one, the stream
// goes on; once the two are answered, events are taken again.
TEST(LimitsInflightTest, PublishedEventsBeyondMaxInflightEventsAreRefusedAtOnce) {
  ServerProcess server(
      {"--config",
       WriteConfig(std::string("plugin_dirs: [\"") + TRIGGERFISH_FAULTY_PLUGIN_DIR + "\"]\n" +
                   "max_inflight_events: 2\ninline_action_timeout_ms: 20000\n")});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  ASSERT_TRUE(client
                  .CreateRule("slow", R"({"name": "slow",
                     "trigger": {"event_types": ["ticket.created"]},
                     "actions": [{"type": "faulty.inline", "params": {"do": "sleep", "ms": 1500}}]})")
                  .ok());
  auto event = [](const std::string& id) {
    return FromJson<v1::Event>(R"({"id": ")" + id +
                               R"(", "type": "ticket.created", "ticket": {"id": "T-)" + id +
                               R"("}})");
  };

  constexpr int kCallers = 6;
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<std::chrono::steady_clock::duration> took(kCallers);
  std::vector<std::thread> callers;
  std::latch start(kCallers);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i, channel = server.Channel()] {
      Client mine(channel);
      start.arrive_and_wait();
      v1::PublishEventResponse response;
      const auto sent = std::chrono::steady_clock::now();
      statuses[i] = mine.Publish(event("E" + std::to_string(i)), &response);
      took[i] = std::chrono::steady_clock::now() - sent;
    });
  }
  for (auto& t : callers) t.join();
  std::vector<int> taken;
  std::vector<int> refused;
  for (int i = 0; i < kCallers; ++i) {
    if (statuses[i].ok()) {
      taken.push_back(i);
      continue;
    }
    refused.push_back(i);
    EXPECT_LT(took[i], std::chrono::milliseconds(1000)) << "a refusal waited";
    EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::UNAVAILABLE)
        << statuses[i].error_message();
    EXPECT_EQ(ErrorReason(statuses[i]), "OVERLOADED") << statuses[i].error_message();
    EXPECT_NE(statuses[i].error_message().find("max_inflight_events"), std::string::npos)
        << statuses[i].error_message();
  }
  ASSERT_EQ(taken.size(), 2u);
  // The two taken ran one after the other.
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::seconds(3));
  for (int i : refused) {
    v1::TicketRecord none;
    EXPECT_EQ(client.GetTicket("T-E" + std::to_string(i), &none).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // A stream's events beyond the limit are refused one by one, in order,
  // and the stream goes on.
  {
    grpc::ClientContext context;
    auto stream = client.events->PublishEvents(&context);
    for (int i = 0; i < 4; ++i) {
      v1::PublishEventRequest request;
      *request.mutable_event() = event("S" + std::to_string(i));
      ASSERT_TRUE(stream->Write(request));
    }
    stream->WritesDone();
    std::vector<std::string> answers;
    for (v1::PublishEventsResponse response; stream->Read(&response);) {
      answers.push_back(response.event_id() + " " +
                        (response.has_result() ? "ok" : std::to_string(response.error().code())));
    }
    EXPECT_TRUE(stream->Finish().ok());
    const std::string unavailable = std::to_string(grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(answers, (std::vector<std::string>{"S0 ok", "S1 ok", "S2 " + unavailable,
                                                 "S3 " + unavailable}));
  }

  // Nothing in flight now: a refused event is taken, as new.
  v1::PublishEventResponse again;
  ASSERT_TRUE(client.Publish(event("E" + std::to_string(refused[0])), &again).ok());
  EXPECT_FALSE(again.duplicate());
  EXPECT_EQ(again.fired_rules_size(), 1);
}

TEST(LimitsConfigTest, ALimitThatIsNotPositiveRefusesToStart) {
  for (const std::string& yaml :
       {std::string("stream_window: 0\n"), std::string("limits: {max_rule_bytes: -1}\n"),
        std::string("limits: {max_event_bytes: 0}\n"), std::string("max_message_bytes: -5\n"),
        std::string("max_inflight_events: 0\n")}) {
    ServerProcess server({"--config", WriteConfig(yaml)});
    EXPECT_FALSE(server.Start()) << yaml;
    EXPECT_TRUE(server.log().find("must be positive") != std::string::npos ||
                server.log().find("must not be negative") != std::string::npos)
        << yaml << server.log();
  }
}

}  // namespace
}  // namespace triggerfish
