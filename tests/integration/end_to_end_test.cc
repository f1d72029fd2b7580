// The sample process end to end through the real server: a ticket is created
// and assigned by round robin, its SLA clock starts, it goes pending (the
// clock pauses) and back, the SLA breaches, the escalation rule reassigns it
// to tier 2 and e-mails the new assignee, and a real SMTP server on loopback
// holds exactly the expected messages.

#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/plugins/email/smtp_sink.h"
#include "tests/server/testing/proto_json.h"
#include "tests/testing/server_process.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/plugin_service.grpc.pb.h"
#include "triggerfish/v1/ticket_service.grpc.pb.h"

namespace triggerfish {
namespace {

using plugins::email::testing::SmtpSink;
using testing::FromJson;
using testing::ServerProcess;

template <typename Condition>
bool Eventually(Condition condition, double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

TEST(EndToEndTest, SampleProcessRoutesTimesEscalatesAndMails) {
  SmtpSink sink;
  ASSERT_TRUE(sink.Start()) << sink.error();
  const std::string config = "/tmp/triggerfish-e2e-config-" + std::to_string(getpid()) + ".yaml";
  {
    // The sample rules with a policy short enough to breach during the test:
    // a first reply within 1 minute, in calendar time.
    std::ofstream out(config);
    out << "seed_rules: \"" << TRIGGERFISH_SOURCE_DIR << "/examples/rules/sample.yaml\"\n"
        << "timer_poll_ms: 100\n"
        << "outbox: {base_backoff_ms: 100, max_backoff_ms: 500}\n"
        << "plugins:\n"
        << "  sla:\n"
        << "    policies:\n"
        << "      standard:\n"
        << "        targets: {normal: {first_reply_time: 1}}\n"
        << "  email:\n"
        << "    smtp_url: \"smtp://127.0.0.1:" << sink.port() << "\"\n"
        << "    from: support@example.com\n";
  }
  ServerProcess server({"--config", config});
  ASSERT_TRUE(server.Start()) << server.log();
  auto events = v1::EventService::NewStub(server.Channel());
  auto tickets = v1::TicketService::NewStub(server.Channel());
  auto plugins = v1::PluginService::NewStub(server.Channel());
  auto publish = [&](const std::string& json) {
    grpc::ClientContext context;
    v1::PublishEventRequest request;
    *request.mutable_event() = FromJson<v1::Event>(json);
    v1::PublishEventResponse response;
    auto status = events->PublishEvent(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  auto clock = [&]() {
    grpc::ClientContext context;
    v1::ListPluginStateRequest request;
    request.set_plugin("sla");
    request.set_prefix("clock/T1/");
    v1::ListPluginStateResponse response;
    EXPECT_TRUE(plugins->ListPluginState(&context, request, &response).ok());
    return response.entries_size() == 1 ? nlohmann::json::parse(response.entries(0).value())
                                        : nlohmann::json();
  };

  // Created: routed to tier 1 by round robin, SLA started, requester told.
  auto created = publish(R"({"id": "c1", "type": "ticket.created", "actor": "requester",
    "ticket": {"id": "T1", "subject": "Cannot log in", "channel": "web",
               "status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_NORMAL",
               "requester": {"email": "pat@example.org", "name": "Pat"}}})");
  EXPECT_EQ(created.ticket_patch().assignee_id(), "ana");
  nlohmann::json first_reply = clock();
  ASSERT_TRUE(first_reply.is_object()) << server.log();
  EXPECT_EQ(first_reply["metric"], "first_reply_time");
  EXPECT_EQ(first_reply["paused"], false);

  // Pending pauses the clock; back to open resumes it.
  publish(R"({"id": "u1", "type": "ticket.updated", "actor": "ana",
    "ticket": {"id": "T1", "subject": "Cannot log in", "status": "TICKET_STATUS_PENDING",
               "priority": "TICKET_PRIORITY_NORMAL",
               "assignee_id": "ana", "requester": {"email": "pat@example.org", "name": "Pat"}},
    "previous": {"id": "T1", "status": "TICKET_STATUS_NEW", "priority": "TICKET_PRIORITY_NORMAL"}})");
  EXPECT_EQ(clock()["paused"], true);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  publish(R"({"id": "u2", "type": "ticket.updated", "actor": "requester",
    "ticket": {"id": "T1", "subject": "Cannot log in", "status": "TICKET_STATUS_OPEN",
               "priority": "TICKET_PRIORITY_NORMAL",
               "assignee_id": "ana", "requester": {"email": "pat@example.org", "name": "Pat"}},
    "previous": {"id": "T1", "status": "TICKET_STATUS_PENDING", "priority": "TICKET_PRIORITY_NORMAL"}})");
  EXPECT_EQ(clock()["paused"], false);

  // The breach timer fires (about a minute after the start, plus the pause):
  // escalated to tier 2, urgent, tagged.
  v1::TicketRecord record;
  ASSERT_TRUE(Eventually(
      [&] {
        grpc::ClientContext context;
        v1::GetTicketRequest request;
        request.set_id("T1");
        return tickets->GetTicket(&context, request, &record).ok() &&
               record.ticket().priority() == v1::TICKET_PRIORITY_URGENT;
      },
      90))
      << server.log();
  EXPECT_EQ(record.ticket().assignee_id(), "cho");
  EXPECT_EQ(std::vector<std::string>(record.ticket().tags().begin(), record.ticket().tags().end()),
            std::vector<std::string>{"sla_breached"});
  EXPECT_TRUE(record.last_event_id().starts_with("timer/sla/")) << record.last_event_id();
  EXPECT_EQ(clock()["metric"], "first_reply_time");

  // The SMTP server holds exactly the acknowledgement and the escalation.
  ASSERT_TRUE(Eventually([&] { return sink.Messages().size() >= 2; }, 20)) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto mails = sink.Messages();
  ASSERT_EQ(mails.size(), 2u);
  std::sort(mails.begin(), mails.end(), [](const auto& a, const auto& b) {
    return a["headers"]["Subject"][0] < b["headers"]["Subject"][0];
  });
  EXPECT_EQ(mails[0]["headers"]["Subject"][0], "[#T1] SLA breached: Cannot log in");
  EXPECT_EQ(mails[0]["rcpt_tos"], (nlohmann::json{"cho@example.com", "dev@example.com"}))
      << mails[0].dump();
  EXPECT_EQ(mails[1]["headers"]["Subject"][0], "[#T1] We received your request: Cannot log in");
  EXPECT_EQ(mails[1]["rcpt_tos"], nlohmann::json{"pat@example.org"});
  std::remove(config.c_str());
}

}  // namespace
}  // namespace triggerfish
