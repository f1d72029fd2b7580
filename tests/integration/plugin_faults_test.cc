// Plugins as a fault source, against the real triggerfishd: fixture actions
// (tests/fixtures/plugins/faulty) that throw, return garbage or oversized
// results, outlive their timeout, hang forever or crash the process, both
// inline (in the trigger cycle) and deferred (from the outbox). Each fault
// must end in a clear execution record while the event stays committed,
// other rules and tickets are unaffected and the server keeps serving.

#include <sys/wait.h>

#include <csignal>
#include <future>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/testing/tokens.h"

namespace triggerfish {
namespace {

using testing::Client;
using testing::Eventually;
using testing::FileLines;
using testing::FromJson;
using testing::ServerProcess;
using testing::WriteConfig;

std::string Config(int threads, int max_attempts, int action_timeout_ms) {
  return std::string("plugin_dirs: [\"") + TRIGGERFISH_BUNDLED_PLUGIN_DIR + "\", \"" +
         TRIGGERFISH_RECORDER_PLUGIN_DIR + "\", \"" + TRIGGERFISH_FAULTY_PLUGIN_DIR + "\"]\n" +
         "inline_action_timeout_ms: 300\n" + "outbox: {threads: " + std::to_string(threads) +
         ", max_attempts: " + std::to_string(max_attempts) +
         ", base_backoff_ms: 20, max_backoff_ms: 50, action_timeout_ms: " +
         std::to_string(action_timeout_ms) + "}\n";
}

// A rule on ticket.created whose subject is `subject`, running `actions`
// (a JSON array).
std::string RuleFor(const std::string& subject, const std::string& actions) {
  return R"({"name": ")" + subject + R"(", "trigger": {"event_types": ["ticket.created"]},
    "condition": {"predicate": {"field": "ticket.subject", "operator": "is", "value": ")" +
         subject + R"("}}, "actions": )" + actions + "}";
}

// A one-action list: faulty.inline doing `what` after `ms`, recording to
// `file`.
std::string LoggedAction(const std::string& what, const std::string& file, int ms = 0) {
  return R"([{"type": "faulty.inline", "params": {"do": ")" + what + R"(", "ms": )" +
         std::to_string(ms) + R"(, "file": ")" + file + R"("}}])";
}

v1::Event Created(const std::string& id, const std::string& ticket, const std::string& subject) {
  return FromJson<v1::Event>(R"({"id": ")" + id + R"(", "type": "ticket.created",
    "ticket": {"id": ")" + ticket +
                             R"(", "subject": ")" + subject + R"("}})");
}

TEST(PluginFaultsTest, InlineFaultsFailTheirActionAloneAndTheEventCommits) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 500))});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  // The faulty action first, then a healthy action of the same rule.
  const std::map<std::string, std::string> faults = {
      {"throw", R"({"type": "faulty.inline", "params": {"do": "throw"}})"},
      {"throw_other", R"({"type": "faulty.inline", "params": {"do": "throw_other"}})"},
      {"garbage", R"({"type": "garbage.inline"})"},
      {"big_output",
       R"({"type": "faulty.inline", "params": {"do": "big_output", "bytes": 2097152}})"},
      {"slow", R"({"type": "faulty.inline", "params": {"do": "sleep", "ms": 800}})"},
  };
  for (const auto& [name, action] : faults) {
    ASSERT_TRUE(client
                    .CreateRule(name, RuleFor("inline faults", "[" + action +
                                                                   R"(, {"type": "ticket.add_tags",
                               "params": {"tags": [")" + name + R"(-next"]}}])"))
                    .ok());
  }
  ASSERT_TRUE(client
                  .CreateRule("healthy", RuleFor("inline faults", R"([{"type": "ticket.add_tags",
                             "params": {"tags": ["healthy"]}}])"))
                  .ok());

  v1::PublishEventResponse response;
  auto status = client.Publish(Created("e1", "T1", "inline faults"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << server.log();
  const std::map<std::string, std::string> expected_messages = {
      {"throw", "faulty: thrown on purpose"},
      {"throw_other", "action threw a non-standard exception"},
      {"garbage", "result is not valid JSON"},
      {"big_output", "result exceeds 1048576 bytes"},
      {"slow", "timed out"},
  };
  ASSERT_EQ(response.fired_rules_size(), 6);
  for (const auto& fired : response.fired_rules()) {
    if (fired.rule_id() == "healthy") continue;
    ASSERT_EQ(fired.actions_size(), 2) << fired.rule_id();
    EXPECT_EQ(fired.actions(0).status(), v1::ACTION_STATUS_FAILED) << fired.rule_id();
    EXPECT_NE(fired.actions(0).message().find(expected_messages.at(fired.rule_id())),
              std::string::npos)
        << fired.rule_id() << ": " << fired.actions(0).message();
    EXPECT_EQ(fired.actions(1).status(), v1::ACTION_STATUS_SUCCEEDED) << fired.rule_id();
  }

  // Committed: the snapshot carries every healthy action's tag, and each
  // failed action is an execution record with its error.
  v1::TicketRecord record;
  ASSERT_TRUE(client.GetTicket("T1", &record).ok());
  EXPECT_EQ(record.ticket().tags_size(), 6) << record.ShortDebugString();
  v1::ListExecutionsRequest failed;
  failed.set_event_id("e1");
  failed.set_status(v1::EXECUTION_STATUS_FAILED);
  auto executions = client.Executions(failed);
  ASSERT_EQ(executions.size(), faults.size());
  for (const auto& execution : executions) {
    EXPECT_NE(execution.error().find(expected_messages.at(execution.rule_id())), std::string::npos)
        << execution.ShortDebugString();
  }
  // The same event again is a duplicate, not a second run.
  ASSERT_TRUE(client.Publish(Created("e1", "T1", "inline faults"), &response).ok());
  EXPECT_TRUE(response.duplicate());
  EXPECT_TRUE(client.Serving());
}

// An inline action that never returns fails at the inline timeout and is
// abandoned on its worker: the event commits, and the tenant's next events
// (more of them than there are inline workers) run as usual, because the
// hung call holds neither the tenant's lock nor a worker of the pool.
TEST(PluginFaultsTest, AnInlineActionThatHangsFailsAtItsTimeoutAndItsTenantGoesOn) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 500) + "cycle_threads: 2\n")});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  ASSERT_TRUE(client
                  .CreateRule("hang", RuleFor("hang", R"([
                    {"type": "faulty.inline", "params": {"do": "hang"}},
                    {"type": "ticket.add_tags", "params": {"tags": ["after-hang"]}}])"))
                  .ok());
  ASSERT_TRUE(client
                  .CreateRule("plain", RuleFor("plain", R"([
                    {"type": "ticket.add_tags", "params": {"tags": ["plain"]}}])"))
                  .ok());
  for (int i = 1; i <= 4; ++i) {
    const std::string id = "h" + std::to_string(i);
    v1::PublishEventResponse response;
    const auto started = std::chrono::steady_clock::now();
    auto status = client.Publish(Created(id, "T" + std::to_string(i), "hang"), &response,
                                 std::chrono::milliseconds(5000));
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message() << server.log();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));
    ASSERT_EQ(response.fired_rules_size(), 1);
    const auto& actions = response.fired_rules(0).actions();
    ASSERT_EQ(actions.size(), 2);
    EXPECT_EQ(actions[0].status(), v1::ACTION_STATUS_FAILED);
    EXPECT_NE(actions[0].message().find("timed out after 300 ms; the call was abandoned"),
              std::string::npos)
        << actions[0].message();
    EXPECT_EQ(actions[1].status(), v1::ACTION_STATUS_SUCCEEDED);
    // Another event of the same tenant right after it is not held up.
    v1::PublishEventResponse plain;
    status = client.Publish(Created("p" + std::to_string(i), "P" + std::to_string(i), "plain"),
                            &plain, std::chrono::milliseconds(2000));
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(plain.fired_rules_size(), 1);
    EXPECT_EQ(plain.fired_rules(0).actions(0).status(), v1::ACTION_STATUS_SUCCEEDED);
  }
  v1::TicketRecord record;
  ASSERT_TRUE(client.GetTicket("T4", &record).ok());
  EXPECT_EQ(record.ticket().tags_size(), 1);
  v1::ListExecutionsRequest failed;
  failed.set_status(v1::EXECUTION_STATUS_FAILED);
  EXPECT_EQ(client.Executions(failed).size(), 4u);
  EXPECT_TRUE(client.Serving());
  EXPECT_NE(server.log().find("did not return within 300 ms"), std::string::npos);
  // SIGTERM drains as usual; with threads still inside the plugin the server
  // exits without tearing down what they could come back to.
  const int status = server.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(server.log().find("4 abandoned plugin calls are still running"), std::string::npos)
      << server.log();
}

// Cycles of different tenants run in parallel: a tenant whose inline action
// takes a second does not hold up another tenant's events meanwhile.
TEST(PluginFaultsTest, ASlowTenantDoesNotHoldUpAnother) {
  const std::string slow_token = "slow-token-5e1f";
  const std::string quick_token = "quick-token-77a0";
  std::string config = Config(1, 2, 500);
  config.replace(config.find("inline_action_timeout_ms: 300"), 29,
                 "inline_action_timeout_ms: 5000");
  config += "cycle_threads: 2\nauth:\n  enabled: true\n  tokens:\n    - {name: slow, sha256: \"" +
            testing::Sha256Hex(slow_token) +
            "\", tenant: slow, roles: [admin, publisher, reader]}\n    - {name: quick, sha256: \"" +
            testing::Sha256Hex(quick_token) +
            "\", tenant: quick, roles: [admin, publisher, reader]}\n";
  ServerProcess server({"--config", WriteConfig(config)});
  ASSERT_TRUE(server.Start()) << server.log();
  auto channel = server.Channel();
  auto rules = v1::RuleService::NewStub(channel);
  auto events = v1::EventService::NewStub(channel);
  auto create = [&](const std::string& token, const std::string& actions) {
    grpc::ClientContext context;
    testing::AddBearer(&context, token);
    v1::CreateRuleRequest request;
    request.set_rule_id("r");
    *request.mutable_rule() = testing::FromJson<v1::Rule>(RuleFor("go", actions));
    v1::Rule rule;
    return rules->CreateRule(&context, request, &rule);
  };
  ASSERT_TRUE(
      create(slow_token, R"([{"type": "faulty.inline", "params": {"do": "sleep", "ms": 1500}}])")
          .ok());
  ASSERT_TRUE(
      create(quick_token, R"([{"type": "ticket.add_tags", "params": {"tags": ["quick"]}}])").ok());
  auto publish = [&](const std::string& token, const std::string& id) {
    grpc::ClientContext context;
    testing::AddBearer(&context, token);
    v1::PublishEventRequest request;
    *request.mutable_event() = Created(id, "T-" + id, "go");
    v1::PublishEventResponse response;
    return events->PublishEvent(&context, request, &response);
  };
  auto slow = std::async(std::launch::async, [&] { return publish(slow_token, "s1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto status = publish(quick_token, "q" + std::to_string(i));
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(800));
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  auto status = slow.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// A plugin that outlives the inline timeout and then writes plugin state
// writes into a run of the event that was abandoned: the event committed
// without it, and the write never reaches the store.
TEST(PluginFaultsTest, AnAbandonedInlineCallLeavesNoTrace) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 500))});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  const std::string file = server.dir() + "/late.log";
  ASSERT_TRUE(
      client.CreateRule("late", RuleFor("late", LoggedAction("late_state", file, 800))).ok());
  ASSERT_TRUE(client.CreateRule("read", RuleFor("read", LoggedAction("read_state", file))).ok());
  v1::PublishEventResponse response;
  ASSERT_TRUE(client.Publish(Created("l1", "T1", "late"), &response).ok());
  ASSERT_EQ(response.fired_rules_size(), 1);
  EXPECT_EQ(response.fired_rules(0).actions(0).status(), v1::ACTION_STATUS_FAILED);
  // The late write happened (into the abandoned run)...
  ASSERT_TRUE(Eventually([&] { return FileLines(file).size() == 2; }));
  EXPECT_EQ(FileLines(file)[1], "default/l1/late/0 1 put=0");
  // ...and is nowhere to be seen.
  ASSERT_TRUE(client.Publish(Created("r1", "T2", "read"), &response).ok());
  ASSERT_EQ(FileLines(file).size(), 4u);
  EXPECT_EQ(FileLines(file)[3], "default/r1/read/0 1 late=absent");
}

// Dry runs (EvaluateEvent) run on the caller's gRPC thread, so their inline
// actions go to a pool of workers: a hung one is abandoned there at the
// timeout, and a late host call of it finds its unit of work revoked.
TEST(PluginFaultsTest, AnInlineActionThatHangsInADryRunFailsAtItsTimeout) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 500))});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  const std::string file = server.dir() + "/late.log";
  ASSERT_TRUE(
      client.CreateRule("late", RuleFor("late", LoggedAction("late_state", file, 800))).ok());
  ASSERT_TRUE(
      client
          .CreateRule("hang",
                      RuleFor("late", R"([{"type": "faulty.inline", "params": {"do": "hang"}}])"))
          .ok());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::EvaluateEventRequest request;
  *request.mutable_event() = Created("d1", "T1", "late");
  v1::EvaluateEventResponse response;
  const auto started = std::chrono::steady_clock::now();
  auto status = client.events->EvaluateEvent(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));
  ASSERT_EQ(response.fired_rules_size(), 2);
  for (const auto& fired : response.fired_rules()) {
    EXPECT_EQ(fired.actions(0).status(), v1::ACTION_STATUS_FAILED);
    EXPECT_NE(fired.actions(0).message().find("the call was abandoned"), std::string::npos)
        << fired.actions(0).message();
  }
  ASSERT_TRUE(Eventually([&] { return FileLines(file).size() == 2; }));
  EXPECT_EQ(FileLines(file)[1], "default/d1/late/0 1 put=4");  // TF_HOST_UNAVAILABLE
  EXPECT_TRUE(client.Serving());
}

TEST(PluginFaultsTest, DeferredFaultsEndDeadWithTheirErrorAndTheOnlyWorkerGoesOn) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 400))});
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  const std::string file = server.dir() + "/side-effects.log";
  ASSERT_TRUE(client
                  .CreateRule("deferred", RuleFor("deferred faults", R"([
      {"type": "faulty.deferred", "params": {"do": "throw"}},
      {"type": "garbage.deferred"},
      {"type": "faulty.deferred", "params": {"do": "big_output", "bytes": 2097152}},
      {"type": "faulty.deferred", "params": {"do": "hang"}},
      {"type": "faulty.deferred", "params": {"do": "sleep", "ms": 1500}},
      {"type": "ticket.add_tags", "params": {"tags": ["inline-ok"]}},
      {"type": "recorder.append", "params": {"file": ")" + file + R"(", "tag": "after"}}])"))
                  .ok());
  v1::PublishEventResponse response;
  ASSERT_TRUE(client.Publish(Created("d1", "T1", "deferred faults"), &response).ok());
  // Acknowledged after the commit, before any deferred action ran.
  ASSERT_EQ(response.deferred_execution_ids_size(), 6);
  EXPECT_EQ(response.ticket_patch().add_tags(0), "inline-ok");

  struct Expected {
    v1::ExecutionStatus status;
    int attempts;
    std::string error;
  };
  const std::vector<Expected> expected = {
      {v1::EXECUTION_STATUS_DEAD, 1, "PERMANENT: faulty: thrown on purpose"},
      {v1::EXECUTION_STATUS_DEAD, 1, "PERMANENT: result is not valid JSON"},
      {v1::EXECUTION_STATUS_DEAD, 1, "PERMANENT: result exceeds 1048576 bytes"},
      {v1::EXECUTION_STATUS_DEAD, 2, "RETRYABLE: timed out after 400 ms"},
      {v1::EXECUTION_STATUS_DEAD, 2, "RETRYABLE: timed out after 400 ms"},
      {v1::EXECUTION_STATUS_SUCCEEDED, 1, ""},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    auto execution =
        client.WaitForExecution(response.deferred_execution_ids(i), expected[i].status);
    ASSERT_EQ(execution.status(), expected[i].status)
        << i << ": " << execution.ShortDebugString() << server.log();
    ASSERT_EQ(execution.attempts_size(), expected[i].attempts) << execution.ShortDebugString();
    for (const auto& attempt : execution.attempts()) {
      EXPECT_EQ(attempt.error(), expected[i].error) << i;
    }
    EXPECT_EQ(execution.error(), expected[i].error) << i;
  }
  EXPECT_EQ(FileLines(file).size(), 1u);

  // The single worker was not lost to the hung attempts: a later deferred
  // action of another ticket still runs, and the first ticket's snapshot
  // is intact.
  ASSERT_TRUE(client
                  .CreateRule("later", RuleFor("later", R"([{"type": "recorder.append",
                               "params": {"file": ")" + file +
                                                            R"(", "tag": "later"}}])"))
                  .ok());
  ASSERT_TRUE(client.Publish(Created("l1", "T2", "later"), &response).ok());
  EXPECT_EQ(
      client.WaitForExecution(response.deferred_execution_ids(0), v1::EXECUTION_STATUS_SUCCEEDED)
          .status(),
      v1::EXECUTION_STATUS_SUCCEEDED)
      << server.log();
  EXPECT_EQ(FileLines(file).size(), 2u);
  v1::TicketRecord record;
  ASSERT_TRUE(client.GetTicket("T1", &record).ok());
  EXPECT_EQ(record.ticket().tags(0), "inline-ok");
  EXPECT_TRUE(client.Serving());
}

// A deferred action that segfaults takes the whole process down (plugins run
// in the server's address space). The attempt is on record before the
// plugin is called, so after each restart the job runs again until
// outbox.max_attempts attempts were made; then it is DEAD without another
// call, and the server stays up. Nothing acknowledged is lost.
// Whether the server died of the fixture's segfault: killed by SIGSEGV, or,
// in a sanitizer build (AddressSanitizer or ThreadSanitizer catch the signal,
// report it and exit with an error), the sanitizer's SEGV report.
bool DiedOfSegv(int status, const std::string& log) {
  if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGSEGV;
  return WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
         log.find("Sanitizer: SEGV") != std::string::npos;
}

TEST(PluginFaultsTest, ADeferredActionThatCrashesTheServerGoesDeadAfterMaxAttemptsRestarts) {
  ServerProcess server({"--config", WriteConfig(Config(1, 2, 2000))});
  server.set_expect_crash_reports(true);
  ASSERT_TRUE(server.Start()) << server.log();
  auto client = std::make_unique<Client>(server.Channel());
  const std::string file = server.dir() + "/side-effects.log";
  const std::string crashes = server.dir() + "/crashes.log";
  ASSERT_TRUE(client
                  ->CreateRule("record", RuleFor("record", R"([{"type": "recorder.append",
                               "params": {"file": ")" + file + R"(", "tag": "record"}}])"))
                  .ok());
  ASSERT_TRUE(client
                  ->CreateRule("crash", RuleFor("crash", R"([
      {"type": "ticket.add_tags", "params": {"tags": ["before-crash"]}},
      {"type": "faulty.deferred", "params": {"do": "crash", "ms": 300, "file": ")" +
                                                             crashes + R"("}}])"))
                  .ok());
  v1::PublishEventResponse recorded;
  ASSERT_TRUE(client->Publish(Created("r1", "T1", "record"), &recorded).ok());
  ASSERT_EQ(
      client->WaitForExecution(recorded.deferred_execution_ids(0), v1::EXECUTION_STATUS_SUCCEEDED)
          .status(),
      v1::EXECUTION_STATUS_SUCCEEDED);
  // Acknowledged (committed) before the action runs; it crashes 300 ms in.
  v1::PublishEventResponse crashing;
  ASSERT_TRUE(client->Publish(Created("c1", "T2", "crash"), &crashing).ok());
  int status = 0;
  ASSERT_TRUE(server.WaitForExit(std::chrono::seconds(20), &status)) << server.log();
  EXPECT_TRUE(DiedOfSegv(status, server.log())) << "status " << status;
  EXPECT_EQ(FileLines(crashes).size(), 1u);

  // The restart reclaims the job at once and it crashes the server again
  // (possibly before Start() sees it serving, which then reaps it).
  if (server.Start()) {
    ASSERT_TRUE(server.WaitForExit(std::chrono::seconds(20), &status)) << server.log();
    EXPECT_TRUE(DiedOfSegv(status, server.log())) << "status " << status;
  }
  EXPECT_EQ(FileLines(crashes).size(), 2u);
  // The third start finds both attempts used up and does not run it again.
  ASSERT_TRUE(server.Start()) << server.log();
  client = std::make_unique<Client>(server.Channel());
  auto dead =
      client->WaitForExecution(crashing.deferred_execution_ids(0), v1::EXECUTION_STATUS_DEAD);
  ASSERT_EQ(dead.status(), v1::EXECUTION_STATUS_DEAD) << dead.ShortDebugString() << server.log();
  ASSERT_EQ(dead.attempts_size(), 2) << dead.ShortDebugString();
  EXPECT_EQ(dead.attempts(0).status(), v1::EXECUTION_STATUS_FAILED);
  EXPECT_NE(dead.attempts(0).error().find("interrupted"), std::string::npos);
  EXPECT_EQ(dead.attempts(1).status(), v1::EXECUTION_STATUS_DEAD);
  EXPECT_NE(dead.error().find("no attempts left"), std::string::npos) << dead.error();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(FileLines(crashes).size(), 2u) << "not called a third time";
  EXPECT_TRUE(client->Serving());

  // Everything acknowledged is still there: both events' snapshots and
  // executions, and the recorder's side effect ran once.
  v1::TicketRecord record;
  ASSERT_TRUE(client->GetTicket("T1", &record).ok());
  ASSERT_TRUE(client->GetTicket("T2", &record).ok());
  EXPECT_EQ(record.ticket().tags(0), "before-crash");
  EXPECT_EQ(client->Executions().size(), 3u);
  EXPECT_EQ(FileLines(file).size(), 1u);
  // A dead job can be queued again by hand (and would crash again: that is
  // the operator's call); new work runs normally.
  v1::PublishEventResponse after;
  ASSERT_TRUE(client->Publish(Created("r2", "T3", "record"), &after).ok());
  EXPECT_EQ(
      client->WaitForExecution(after.deferred_execution_ids(0), v1::EXECUTION_STATUS_SUCCEEDED)
          .status(),
      v1::EXECUTION_STATUS_SUCCEEDED);
}

}  // namespace
}  // namespace triggerfish
