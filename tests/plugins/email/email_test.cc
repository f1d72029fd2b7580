// The bundled email plugin, loaded from its built module into the SDK's
// FakeHost, delivering to a real SMTP server on loopback (smtp_sink.py).
// Schema checks go through the server's PluginHost, as when a rule is saved.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

#include "server/plugins/plugin_host.h"
#include "tests/plugins/email/smtp_sink.h"

namespace triggerfish::plugins::email {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using Json = nlohmann::json;
using sdk::testing::ExecuteOptions;
using sdk::testing::FakeHost;
using testing::SmtpSink;

constexpr int64_t kNow = 1'700'000'000'000'000;  // Tue, 14 Nov 2023 22:13:20 UTC
constexpr int64_t kMinute = 60'000'000;

const Json kTicket = Json::parse(R"({
  "id": "T1", "subject": "Printer on fire", "status": "open", "priority": "urgent",
  "tags": ["printer", "fire"], "group_id": "tier1", "assignee_id": "a7",
  "requester": {"id": "u1", "email": "jane@customer.test", "name": "Jane Doe"},
  "assignee": {"id": "a7", "name": "Sam Agent", "email": "sam@support.test"},
  "custom_fields": {"plan": "pro", "seats": 25}
})");

const Json kEvent = Json::parse(R"({
  "id": "E1", "type": "comment.created", "occurred_at": "2023-11-14T22:13:20Z",
  "comment": {"id": "c1", "body": "It is still smoking.", "public": true, "author_id": "u1"}
})");

// The first value of header `name` in a stored message, or "".
std::string Header(const Json& mail, const std::string& name) {
  auto it = mail["headers"].find(name);
  return it == mail["headers"].end() ? std::string() : (*it)[0].get<std::string>();
}

// Python's decoder keeps or drops the line break before a MIME boundary
// depending on the part's last encoded line; mail readers do not care.
std::string WithoutFinalNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::vector<std::string> Rcpts(const Json& mail) {
  return mail["rcpt_tos"].get<std::vector<std::string>>();
}

class EmailPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.SetNow(kNow);
    ASSERT_TRUE(sink_.Start()) << sink_.error();
  }

  Json Config(Json overrides = Json::object()) const {
    Json config = {{"smtp_url", sink_.url()},
                   {"starttls", "never"},
                   {"from", "support@example.com"},
                   {"from_name", "Example Support"},
                   {"timeout_ms", 5000}};
    config.update(overrides);
    return config;
  }

  FakeHost::Plugin& Plugin() {
    if (!plugin_) plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config());
    return *plugin_;
  }

  FakeHost::Outcome Send(const Json& params, const Json& ticket = kTicket,
                         const std::string& operation_id = "op-42", uint32_t attempt = 1) {
    ExecuteOptions options;
    options.operation_id = operation_id;
    options.attempt = attempt;
    return Plugin().Execute("email.send", params, ticket, kEvent, options);
  }

  // The send-limit entries the plugin keeps for `ticket_id`.
  Json SentState(const std::string& ticket_id = "T1") const {
    auto state = host_.GetState("email", "sent/" + ticket_id);
    return state ? Json::parse(*state) : Json();
  }

  FakeHost host_;
  SmtpSink sink_;
  std::unique_ptr<FakeHost::Plugin> plugin_;
};

const Json kBasicParams = {
    {"to", {"requester"}},
    {"cc", {"lead@example.com"}},
    {"subject", "[#{{ticket.id}}] {{ticket.subject}} ({{ticket.priority}})"},
    {"body",
     "Hi {{ticket.requester.name}},\n\n{{comment.body}}\n"
     "Plan: {{ticket.custom_fields.plan}}, seats: {{ticket.custom_fields.seats}}\n"
     "Tags:{{#ticket.tags}} {{.}}{{/ticket.tags}}\n"}};

TEST_F(EmailPluginTest, DeclaresOneDeferredAction) {
  const tf_plugin_descriptor& d = Plugin().descriptor();
  EXPECT_STREQ(d.name, "email");
  ASSERT_EQ(d.action_count, 1u);
  ASSERT_NE(Plugin().FindAction("email.send"), nullptr);
  EXPECT_EQ(Plugin().FindAction("email.send")->mode, TF_MODE_DEFERRED);
}

TEST_F(EmailPluginTest, DeliversRenderedMessageWithHeaders) {
  auto out = Send(kBasicParams);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(out.result["output"]["message_id"], "<op-42@triggerfish>");
  EXPECT_EQ(out.result["output"]["to"], Json::parse(R"(["jane@customer.test"])"));
  EXPECT_EQ(out.result["output"]["cc"], Json::parse(R"(["lead@example.com"])"));
  EXPECT_THAT(out.message(), HasSubstr("sent <op-42@triggerfish> to 2 recipient(s)"));

  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  const Json& mail = mails[0];
  EXPECT_EQ(mail["mail_from"], "support@example.com");
  EXPECT_THAT(Rcpts(mail), ElementsAre("jane@customer.test", "lead@example.com"));
  EXPECT_EQ(Header(mail, "Subject"), "[#T1] Printer on fire (urgent)");
  EXPECT_EQ(Header(mail, "From"), "Example Support <support@example.com>");
  EXPECT_EQ(Header(mail, "To"), "Jane Doe <jane@customer.test>");
  EXPECT_EQ(Header(mail, "Cc"), "lead@example.com");
  EXPECT_EQ(Header(mail, "Message-ID"), "<op-42@triggerfish>");
  EXPECT_EQ(Header(mail, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(Header(mail, "Auto-Submitted"), "auto-generated");
  EXPECT_EQ(Header(mail, "Bcc"), "");
  ASSERT_THAT(mail["parts"], SizeIs(1));
  EXPECT_EQ(mail["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(mail["parts"][0]["content"],
            "Hi Jane Doe,\n\nIt is still smoking.\nPlan: pro, seats: 25\nTags: printer fire\n");
  EXPECT_THAT(mail["data"].get<std::string>(),
              HasSubstr("Content-Type: text/plain; charset=UTF-8"));
}

TEST_F(EmailPluginTest, EncodesNonAsciiSubjectNamesAndBody) {
  Json ticket = kTicket;
  ticket["subject"] = "Drucker brennt – schnell! 🔥";
  ticket["requester"]["name"] = "Jürgen Müller";
  Json params = kBasicParams;
  params["subject"] = "Ärger mit Ticket {{ticket.id}}: {{ticket.subject}} ";
  params["body"] = "Grüße, {{ticket.requester.name}}\n";
  ASSERT_EQ(Send(params, ticket).code, TF_OK);

  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  const std::string raw = mails[0]["data"];
  // Headers travel as 7-bit RFC 2047 encoded-words ...
  EXPECT_THAT(raw, HasSubstr("Subject: =?UTF-8?B?"));
  EXPECT_THAT(raw, Not(HasSubstr("Ärger")));
  for (unsigned char c : raw) ASSERT_LT(c, 0x80) << "the message is not 7-bit clean";
  // ... and decode to the original text.
  EXPECT_EQ(Header(mails[0], "Subject"), "Ärger mit Ticket T1: Drucker brennt – schnell! 🔥 ");
  EXPECT_EQ(Header(mails[0], "To"), "Jürgen Müller <jane@customer.test>");
  EXPECT_EQ(mails[0]["parts"][0]["content"], "Grüße, Jürgen Müller\n");
}

TEST_F(EmailPluginTest, BodySurvivesQuotedPrintableTransfer) {
  Json params = kBasicParams;
  const std::string long_line(300, 'x');
  params["body"] = ".starts with a dot\nequals = sign, trailing space \n" + long_line +
                   "\r\nwindows line\rold mac line\nlast line without newline";
  ASSERT_EQ(Send(params).code, TF_OK);
  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  EXPECT_EQ(mails[0]["parts"][0]["content"],
            ".starts with a dot\nequals = sign, trailing space \n" + long_line +
                "\nwindows line\nold mac line\nlast line without newline\n");
  std::string raw = mails[0]["data"];
  size_t begin = 0;
  while (begin < raw.size()) {
    size_t end = raw.find("\r\n", begin);
    if (end == std::string::npos) end = raw.size();
    EXPECT_LE(end - begin, 78u) << raw.substr(begin, end - begin);
    begin = end + 2;
  }
}

TEST_F(EmailPluginTest, HtmlBodyMakesMultipartAlternativeAndOnlyHtmlIsEscaped) {
  Json ticket = kTicket;
  ticket["subject"] = "<b>Tom & Jerry</b>";
  Json params = kBasicParams;
  params["subject"] = "Re: {{ticket.subject}}";
  params["body"] = "Subject was {{ticket.subject}}";
  params["html_body"] = "<p>Subject was {{ticket.subject}}</p><p>{{{ticket.subject}}}</p>";
  auto out = Send(params, ticket);
  ASSERT_EQ(out.code, TF_OK) << out.raw;

  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  const Json& mail = mails[0];
  EXPECT_THAT(Header(mail, "Content-Type"), HasSubstr("multipart/alternative"));
  EXPECT_EQ(Header(mail, "Subject"), "Re: <b>Tom & Jerry</b>");
  ASSERT_THAT(mail["parts"], SizeIs(2));
  EXPECT_EQ(mail["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(WithoutFinalNewline(mail["parts"][0]["content"]), "Subject was <b>Tom & Jerry</b>");
  EXPECT_EQ(mail["parts"][1]["content_type"], "text/html");
  EXPECT_EQ(WithoutFinalNewline(mail["parts"][1]["content"]),
            "<p>Subject was &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p><p><b>Tom & Jerry</b></p>");
}

TEST_F(EmailPluginTest, ResolvesGroupRequesterAndAssignee) {
  host_.SetGroupAgents("tier2", Json::parse(R"([
    {"id": "a1", "name": "Ann", "email": "ann@support.test", "available": true,
     "max_open_tickets": 0, "skills": [], "groups": ["tier2"]},
    {"id": "a2", "name": "Bob", "email": "bob@support.test", "available": false,
     "max_open_tickets": 5, "skills": ["de"], "groups": ["tier2"]},
    {"id": "a3", "name": "No Mail", "available": true, "groups": ["tier2"]},
    {"id": "a7", "name": "Sam Agent", "email": "SAM@support.test", "groups": ["tier2"]}
  ])"));
  Json params = kBasicParams;
  params["to"] = {"requester", "assignee"};
  params["cc"] = {"group:tier2", "group:empty", "jane@customer.test"};
  auto out = Send(params);
  ASSERT_EQ(out.code, TF_OK) << out.raw;

  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  // Each address once; To before Cc; the assignee's address compared
  // case-insensitively with the group's copy of it.
  EXPECT_THAT(Rcpts(mails[0]), ElementsAre("jane@customer.test", "sam@support.test",
                                           "ann@support.test", "bob@support.test"));
  EXPECT_EQ(Header(mails[0], "To"), "Jane Doe <jane@customer.test>, Sam Agent <sam@support.test>");
  EXPECT_EQ(Header(mails[0], "Cc"), "Ann <ann@support.test>, Bob <bob@support.test>");
  EXPECT_EQ(out.result["output"]["skipped"], Json::parse(R"([
    {"recipient": "group:tier2", "reason": "agent a3 has no email"},
    {"recipient": "group:empty", "reason": "group empty has no agents"}])"));
}

TEST_F(EmailPluginTest, AssigneeUnknownToTheServerIsSkippedAndSaidSo) {
  Json ticket = kTicket;
  ticket.erase("assignee");
  Json params = kBasicParams;
  params["to"] = {"assignee", "requester"};
  params.erase("cc");
  auto out = Send(params, ticket);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_THAT(out.message(), HasSubstr("skipped assignee (the server did not provide the email "
                                       "of assignee a7)"));
  ASSERT_THAT(sink_.Messages(), SizeIs(1));
  EXPECT_THAT(Rcpts(sink_.Messages()[0]), ElementsAre("jane@customer.test"));

  // Nobody left: nothing is sent, and that is not an error.
  ticket.erase("assignee_id");
  params["to"] = {"assignee"};
  out = Send(params, ticket, "op-43");
  EXPECT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(out.message(), "not sent: no recipient; skipped assignee (the ticket has no assignee)");
  EXPECT_THAT(sink_.Messages(), SizeIs(1));
}

TEST_F(EmailPluginTest, ServerDownIsRetryableThenTheRetryIsDeliveredWithTheSameMessageId) {
  const int port = sink_.port();
  sink_.Stop();
  auto out = Send(kBasicParams, kTicket, "op-retry", /*attempt=*/1);
  EXPECT_EQ(out.code, TF_RETRYABLE) << out.raw;
  EXPECT_THAT(out.message(), HasSubstr("SMTP transfer to smtp://127.0.0.1:"));
  EXPECT_THAT(out.message(), HasSubstr("onnect"));  // "Couldn't connect" / "Connection refused"
  // A failed attempt gives its send-limit slot back.
  EXPECT_EQ(SentState(), Json::array());

  ASSERT_TRUE(sink_.Start(port)) << sink_.error();
  host_.Advance(std::chrono::seconds(30));
  out = Send(kBasicParams, kTicket, "op-retry", /*attempt=*/2);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  std::vector<Json> mails = sink_.Messages();
  ASSERT_THAT(mails, SizeIs(1));
  EXPECT_EQ(Header(mails[0], "Message-ID"), "<op-retry@triggerfish>");
  EXPECT_THAT(SentState(), SizeIs(1));
}

TEST_F(EmailPluginTest, ServerThatNeverAnswersTimesOutRetryably) {
  // A socket that completes TCP handshakes (backlog) but never greets.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  plugin_ = host_.LoadModule(
      TF_EMAIL_PLUGIN,
      Config({{"smtp_url", "smtp://127.0.0.1:" + std::to_string(ntohs(address.sin_port))},
              {"timeout_ms", 300}}));
  auto out = Send(kBasicParams);
  ::close(fd);
  EXPECT_EQ(out.code, TF_RETRYABLE) << out.raw;
  EXPECT_THAT(out.message(), HasSubstr("timed out"));
}

TEST_F(EmailPluginTest, RejectedRecipientIsPermanentAndNothingIsSent) {
  Json params = kBasicParams;
  params["cc"] = {"reject@example.com"};
  auto out = Send(params);
  EXPECT_EQ(out.code, TF_PERMANENT) << out.raw;
  EXPECT_THAT(out.message(), AllOf(HasSubstr("550"), HasSubstr("Recipient address rejected")));
  EXPECT_THAT(out.result["output"]["smtp_reply"].get<std::string>(), HasSubstr("550 5.1.1"));
  EXPECT_THAT(sink_.Messages(), IsEmpty());
  EXPECT_EQ(SentState(), Json::array());
}

TEST_F(EmailPluginTest, TemporaryFailureIsRetryable) {
  Json params = kBasicParams;
  params["to"] = {"tempfail@example.com"};
  auto out = Send(params);
  EXPECT_EQ(out.code, TF_RETRYABLE) << out.raw;
  EXPECT_THAT(out.message(), AllOf(HasSubstr("451"), HasSubstr("try again later")));
  EXPECT_THAT(sink_.Messages(), IsEmpty());
}

TEST_F(EmailPluginTest, HeaderInjectionIsRefusedAtSendTime) {
  // Params that bypassed the schema (FakeHost does not validate).
  Json params = kBasicParams;
  params["subject"] = "Hello\r\nBcc: victim@example.com";
  auto out = Send(params, kTicket, "op-1");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("header injection"));

  params = kBasicParams;
  params["cc"] = {"lead@example.com\r\nBcc: victim@example.com"};
  out = Send(params, kTicket, "op-2");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("header injection"));

  // Data from the ticket, rendered into the subject or used as an address.
  Json ticket = kTicket;
  ticket["subject"] = "Printer\nBcc: victim@example.com";
  out = Send(kBasicParams, ticket, "op-3");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("header injection: the rendered subject"));

  ticket = kTicket;
  ticket["requester"]["email"] = "jane@customer.test\r\nBcc: victim@example.com";
  out = Send(kBasicParams, ticket, "op-4");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("header injection"));

  ticket = kTicket;
  ticket["requester"]["name"] = "Jane\r\nBcc: victim@example.com";
  out = Send(kBasicParams, ticket, "op-5");
  EXPECT_EQ(out.code, TF_PERMANENT);

  host_.SetGroupAgents("tier2",
                       Json::parse(R"([{"id": "a1", "email": "a@x.test\nBcc: v@x.test"}])"));
  params = kBasicParams;
  params["cc"] = {"group:tier2"};
  out = Send(params, kTicket, "op-6");
  EXPECT_EQ(out.code, TF_PERMANENT);

  EXPECT_THAT(sink_.Messages(), IsEmpty());
  EXPECT_FALSE(host_.GetState("email", "sent/T1").has_value()) << "no slot was taken";
}

TEST_F(EmailPluginTest, SendLimitStopsMailLoops) {
  // Default: 10 per ticket in 10 minutes.
  for (int i = 0; i < 10; ++i) {
    auto out = Send(kBasicParams, kTicket, "op-" + std::to_string(i));
    ASSERT_EQ(out.code, TF_OK) << i << " " << out.raw;
    host_.Advance(std::chrono::seconds(30));
  }
  auto out = Send(kBasicParams, kTicket, "op-10");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(),
            "send limit reached: ticket T1 already had 10 emails in the last 10 minutes "
            "(limit 10 per 10 minutes); not sent");
  EXPECT_THAT(sink_.Messages(), SizeIs(10));

  // Other tickets have their own budget.
  Json other = kTicket;
  other["id"] = "T2";
  EXPECT_EQ(Send(kBasicParams, other, "op-t2").code, TF_OK);

  // A retry of a message already counted is the same message, not a new one.
  EXPECT_EQ(Send(kBasicParams, kTicket, "op-9", /*attempt=*/2).code, TF_OK);

  // Once the oldest send leaves the window, there is room again.
  // op-0 went out at kNow; the clock is at kNow + 300 s.
  host_.Advance(std::chrono::seconds(301));
  EXPECT_EQ(Send(kBasicParams, kTicket, "op-11").code, TF_OK);
  EXPECT_EQ(Send(kBasicParams, kTicket, "op-12").code, TF_PERMANENT);
  EXPECT_THAT(SentState(), SizeIs(10));
}

TEST_F(EmailPluginTest, ConfiguredSendLimitHoldsUnderConcurrentSends) {
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN,
                             Config({{"send_limit", {{"count", 5}, {"window_minutes", 60}}}}));
  std::atomic<int> ok = 0, limited = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        auto out = Send(kBasicParams, kTicket, "op-" + std::to_string(t) + "-" + std::to_string(i));
        if (out.code == TF_OK) ++ok;
        if (out.code == TF_PERMANENT && out.message().starts_with("send limit reached")) ++limited;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 13);
  EXPECT_THAT(sink_.Messages(), SizeIs(5));
}

TEST_F(EmailPluginTest, BadTemplateIsPermanent) {
  Json params = kBasicParams;
  params["body"] = "Hello {{#ticket.tags}} never closed";
  auto out = Send(params);
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("body template: "));
  EXPECT_THAT(sink_.Messages(), IsEmpty());
}

TEST_F(EmailPluginTest, RenderedTextOverMaxRenderedBytesIsPermanentAndNothingIsSent) {
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config({{"max_rendered_bytes", 4096}}));
  Json ticket = kTicket;
  ticket["description"] = std::string(1000, 'd');
  ticket["tags"] = Json::array();
  for (int i = 0; i < 100; ++i) ticket["tags"].push_back("t" + std::to_string(i));
  Json params = kBasicParams;
  // Small template, 100 x 1000 bytes of output.
  params["body"] = "{{#ticket.tags}}{{ticket.description}}{{/ticket.tags}}";
  auto out = Send(params, ticket);
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_THAT(out.message(), HasSubstr("body template: rendered text exceeds max_rendered_bytes "
                                       "(4096 bytes)"));
  EXPECT_THAT(sink_.Messages(), IsEmpty());
  // Under the limit it is sent.
  ticket["tags"] = {"one", "two"};
  EXPECT_EQ(Send(params, ticket, "op-43").code, TF_OK);
  EXPECT_THAT(sink_.Messages(), SizeIs(1));
}

TEST_F(EmailPluginTest, CredentialsComeFromTheEnvironment) {
  ASSERT_TRUE(sink_.Start(0, "mailer:s3cret")) << sink_.error();
  ::setenv("TF_EMAIL_TEST_USER", "mailer", 1);
  ::setenv("TF_EMAIL_TEST_PASSWORD", "s3cret", 1);
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config({{"username_env", "TF_EMAIL_TEST_USER"},
                                                      {"password_env", "TF_EMAIL_TEST_PASSWORD"}}));
  auto out = Send(kBasicParams);
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  ASSERT_THAT(sink_.Messages(), SizeIs(1));
  EXPECT_EQ(sink_.Messages()[0]["auth_user"], "mailer");

  ::setenv("TF_EMAIL_TEST_PASSWORD", "wrong", 1);
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config({{"username_env", "TF_EMAIL_TEST_USER"},
                                                      {"password_env", "TF_EMAIL_TEST_PASSWORD"}}));
  out = Send(kBasicParams, kTicket, "op-wrong");
  EXPECT_EQ(out.code, TF_PERMANENT) << out.raw;
  EXPECT_THAT(out.message(), HasSubstr("535"));

  // No credentials at all: the server's 530 is permanent too.
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config());
  EXPECT_EQ(Send(kBasicParams, kTicket, "op-anonymous").code, TF_PERMANENT);

  ::unsetenv("TF_EMAIL_TEST_PASSWORD");
  try {
    host_.LoadModule(TF_EMAIL_PLUGIN, Config({{"username_env", "TF_EMAIL_TEST_USER"},
                                              {"password_env", "TF_EMAIL_TEST_PASSWORD"}}));
    ADD_FAILURE() << "init should fail";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("environment variable TF_EMAIL_TEST_PASSWORD (named by "
                                    "\"password_env\") is not set"));
  }
  ::unsetenv("TF_EMAIL_TEST_USER");
  EXPECT_THAT(sink_.Messages(), SizeIs(1));
}

TEST_F(EmailPluginTest, RequiredStartTlsIsPermanentWhenTheServerDoesNotOfferIt) {
  plugin_ = host_.LoadModule(TF_EMAIL_PLUGIN, Config({{"starttls", "required"}}));
  auto out = Send(kBasicParams);
  EXPECT_EQ(out.code, TF_PERMANENT) << out.raw;
  EXPECT_THAT(sink_.Messages(), IsEmpty());
}

// What the server does when a rule is saved and when the plugin is loaded.
class EmailSchemaTest : public ::testing::Test {
 protected:
  using Violations = std::vector<server::plugins::SchemaViolation>;

  static Json Config() {
    return Json{{"smtp_url", "smtp://127.0.0.1:2525"}, {"from", "support@example.com"}};
  }
  absl::Status Load(const Json& config) {
    server::plugins::PluginHostOptions options;
    options.configs["email"] = config;
    host_ = std::make_unique<server::plugins::PluginHost>(fake_.api(), std::move(options));
    return host_->LoadFile(TF_EMAIL_PLUGIN);
  }
  std::vector<std::string> ViolatedPaths(const Json& params) {
    auto violations = host_->ValidateParams("email.send", params);
    EXPECT_TRUE(violations.ok()) << violations.status();
    std::vector<std::string> paths;
    if (violations.ok()) {
      for (const auto& v : *violations) paths.push_back(v.path);
    }
    return paths;
  }

  FakeHost fake_;
  std::unique_ptr<server::plugins::PluginHost> host_;
};

TEST_F(EmailSchemaTest, RuleParamsWithHeaderInjectionAreRefusedAtSave) {
  ASSERT_TRUE(Load(Config()).ok());
  Json params = kBasicParams;
  params["to"] = {"requester", "assignee", "group:tier-2", "ops@example.com"};
  params["html_body"] = "<p>{{comment.body}}</p>";
  params["subject"] = "Ärger: {{ticket.subject}} \t tab is fine? no";
  EXPECT_THAT(ViolatedPaths(params), ElementsAre("/subject"));
  params["subject"] = "Ärger: {{ticket.subject}} 🔥";
  EXPECT_THAT(ViolatedPaths(params), IsEmpty());

  Json bad = params;
  bad["subject"] = "Hello\r\nBcc: victim@example.com";
  EXPECT_THAT(ViolatedPaths(bad), ElementsAre("/subject"));
  bad = params;
  bad["to"] = {"requester", "ops@example.com\r\nBcc: victim@example.com"};
  EXPECT_THAT(ViolatedPaths(bad), ElementsAre("/to/1"));
  bad = params;
  bad["cc"] = {"group:tier1\nBcc: victim@example.com", "Jane <jane@example.com>", "nobody"};
  EXPECT_THAT(ViolatedPaths(bad), ElementsAre("/cc/0", "/cc/1", "/cc/2"));
  bad = params;
  bad["to"] = Json::array();
  bad["password"] = "hunter2";
  EXPECT_THAT(ViolatedPaths(bad), UnorderedElementsAre("/to", "/password"));
  bad = Json::object();
  EXPECT_THAT(ViolatedPaths(bad), UnorderedElementsAre("/to", "/subject", "/body"));
}

TEST_F(EmailSchemaTest, ConfigIsValidatedWhenThePluginLoads) {
  EXPECT_TRUE(Load(Config()).ok());
  EXPECT_TRUE(Load(Json{{"smtp_url", "smtps://mail.example.com:465/relay.example.com"},
                        {"from", "support@example.com"},
                        {"starttls", "required"},
                        {"timeout_ms", 30000},
                        {"send_limit", {{"count", 3}, {"window_minutes", 60}}}})
                  .ok());

  // No configuration at all: a local MTA as triggerfish@localhost, so that
  // the server starts with no config.
  EXPECT_TRUE(Load(Json::object()).ok());
  Json config = Config();
  config["from"] = "not an address";
  EXPECT_THAT(std::string(Load(config).message()), HasSubstr("config does not match"));
  config = Config();
  config["smtp_url"] = "http://127.0.0.1:2525";
  EXPECT_FALSE(Load(config).ok());
  config = Config();
  config["smtp_url"] = "smtp://user:password@127.0.0.1:2525";  // credentials go in env vars
  EXPECT_FALSE(Load(config).ok());
  config = Config();
  config["from"] = "support@example.com\r\nBcc: victim@example.com";
  EXPECT_FALSE(Load(config).ok());
  config = Config();
  config["starttls"] = "sometimes";
  EXPECT_FALSE(Load(config).ok());
  config = Config();
  config["password_env"] = "SMTP_PASSWORD";  // without username_env
  EXPECT_FALSE(Load(config).ok());
}

}  // namespace
}  // namespace triggerfish::plugins::email
