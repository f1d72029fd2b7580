// Runs the real tfctl binary against the real triggerfishd, on the example
// files of the tour (examples/tfctl), so that neither can rot.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/server_process.h"
#include "tests/testing/tokens.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

const std::string kExamples = std::string(TRIGGERFISH_SOURCE_DIR) + "/examples/tfctl/";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with its one `from` replaced by `to` (a failure if it has none).
std::string ReplaceOnce(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no '" << from << "' to replace";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// Runs tfctl with `args` and returns its exit code and output.
Outcome Tfctl(const std::vector<std::string>& args, const std::string& dir) {
  const std::string out_path = dir + "/tfctl.out", err_path = dir + "/tfctl.err";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> argv_storage = {TFCTL_PATH};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

class TfctlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }

  // tfctl against the test server.
  Outcome Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--address", server_.address()});
    return Tfctl(args, server_.dir());
  }

  std::string TempFile(const std::string& name, const std::string& text) {
    const std::string path = server_.dir() + "/" + name;
    WriteFile(path, text);
    return path;
  }

  std::vector<v1::Rule> StoredRules() {
    auto stub = v1::RuleService::NewStub(server_.Channel());
    grpc::ClientContext context;
    v1::ListRulesRequest request;
    v1::ListRulesResponse response;
    EXPECT_TRUE(stub->ListRules(&context, request, &response).ok());
    return {response.rules().begin(), response.rules().end()};
  }

  testing::ServerProcess server_;
};

std::string Describe(const Outcome& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout:\n" + run.out + "\nstderr:\n" +
         run.err;
}

TEST_F(TfctlTest, ApplyCreatesThenIsANoOpThenUpdatesThenPrunes) {
  Outcome run = Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("create     urgent-outage"));
  EXPECT_THAT(run.out, HasSubstr("3 created, 0 updated, 0 deleted, 0 unchanged"));
  EXPECT_EQ(StoredRules().size(), 3u);

  run = Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("0 created, 0 updated, 0 deleted, 3 unchanged"));
  const std::string etag_before = StoredRules()[1].etag();

  // Move vip-email and change its actions; leave billing-keywords out.
  std::string text = ReadFile(kExamples + "rules.yaml");
  text = ReplaceOnce(text, "position: 20", "position: 25");
  text = ReplaceOnce(text, "group_id: vip-desk", "group_id: vip");
  text = text.substr(0, text.find("  - id: billing-keywords"));
  const std::string changed = TempFile("changed.yaml", text);
  run = Ctl({"rules", "apply", "-f", changed, "-o", "json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  Json diff = Json::parse(run.out);
  EXPECT_EQ(diff["updated"], 1);
  EXPECT_EQ(diff["not_in_file"], 1);
  EXPECT_EQ(diff["changes"][1],
            (Json{{"id", "vip-email"}, {"action", "update"}, {"fields", {"position", "actions"}}}));
  auto rules = StoredRules();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[1].id(), "vip-email");
  EXPECT_EQ(rules[1].position(), 25);
  EXPECT_NE(rules[1].etag(), etag_before);

  run = Ctl({"rules", "apply", "-f", changed, "--prune"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("delete     billing-keywords"));
  EXPECT_THAT(run.out, HasSubstr("0 created, 0 updated, 1 deleted, 2 unchanged"));
  EXPECT_EQ(StoredRules().size(), 2u);
}

TEST_F(TfctlTest, DryRunChangesNothingAndReportsInvalidRulesWithTheirPaths) {
  Outcome run = Ctl({"rules", "apply", "-f", kExamples + "rules.yaml", "--dry-run"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("would create"));
  EXPECT_THAT(run.out, HasSubstr("dry run: nothing changed"));
  EXPECT_TRUE(StoredRules().empty());

  const std::string invalid = TempFile("invalid.yaml", R"(rules:
  - id: fine
    name: Fine
    trigger: {event_types: [ticket.created]}
    actions: [{type: ticket.add_tags, params: {tags: [ok]}}]
  - id: broken
    name: Broken
    trigger: {event_types: [ticket.created]}
    condition:
      all:
        - predicate: {field: ticket.priority, operator: contains, value: high}
    actions: [{type: ticket.add_tags, params: {tags: [a, a]}}]
)");
  for (const bool dry_run : {true, false}) {
    std::vector<std::string> args = {"rules", "apply", "-f", invalid};
    if (dry_run) args.push_back("--dry-run");
    run = Ctl(args);
    EXPECT_EQ(run.exit_code, 1) << Describe(run);
    EXPECT_THAT(run.err, HasSubstr("rules[1] (broken): INVALID_ARGUMENT"));
    EXPECT_THAT(run.err, HasSubstr("rule.condition.all[0].predicate.operator"));
    EXPECT_THAT(run.err, HasSubstr("rule.actions[0].params"));
    EXPECT_THAT(run.err, HasSubstr("nothing changed"));
    EXPECT_THAT(run.err, Not(HasSubstr("(fine)")));
    EXPECT_TRUE(StoredRules().empty());
  }

  run = Ctl({"rules", "apply", "-f", invalid, "--dry-run", "-o", "json"});
  EXPECT_EQ(run.exit_code, 1);
  const Json error = Json::parse(run.err)["error"];
  ASSERT_EQ(error["invalid_rules"].size(), 1u);
  EXPECT_EQ(error["invalid_rules"][0]["id"], "broken");
  EXPECT_EQ(error["invalid_rules"][0]["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_FALSE(error["invalid_rules"][0]["error"]["field_violations"].empty());
}

TEST_F(TfctlTest, ExportAppliesBackUnchangedInYamlAndJson) {
  ASSERT_EQ(Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"}).exit_code, 0);
  // Strings that look like other YAML scalars, and text YAML must escape.
  const std::string tricky = TempFile("tricky.json", R"({"rules": [{
    "id": "tricky", "name": "123", "description": "two\nlines: with # and \"quotes\"",
    "enabled": false, "trigger": {"event_types": ["ticket.updated"]},
    "condition": {"any": [
      {"predicate": {"field": "ticket.subject", "operator": "is", "value": "true"}},
      {"predicate": {"field": "ticket.subject", "operator": "is", "value": "null"}},
      {"predicate": {"field": "ticket.subject", "operator": "is", "value": "~"}},
      {"predicate": {"field": "ticket.custom_fields.n", "operator": "greater_than", "value": 2.5}},
      {"predicate": {"field": "ticket.subject", "operator": "starts_with", "value": "- [x]: {a}"}}]},
    "actions": [{"type": "ticket.set_custom_field", "params": {"key": "k", "value": "007"}}]}]})");
  Outcome created = Ctl({"rules", "apply", "-f", tricky});
  ASSERT_EQ(created.exit_code, 0) << Describe(created);
  const Outcome yaml = Ctl({"rules", "export"});
  ASSERT_EQ(yaml.exit_code, 0) << Describe(yaml);
  const Outcome json = Ctl({"rules", "export", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  EXPECT_EQ(Json::parse(json.out)["rules"].size(), 4u);
  for (const auto& [name, text] : {std::pair{"export.yaml", yaml.out}, {"export.json", json.out}}) {
    const Outcome run = Ctl({"rules", "apply", "-f", TempFile(name, text)});
    EXPECT_EQ(run.exit_code, 0) << Describe(run);
    EXPECT_THAT(run.out, HasSubstr("0 created, 0 updated, 0 deleted, 4 unchanged")) << name;
  }

  // Into an empty server and out again: the same file.
  testing::ServerProcess other;
  ASSERT_TRUE(other.Start());
  const std::string exported = TempFile("export.yaml", yaml.out);
  Outcome run =
      Tfctl({"--address", other.address(), "rules", "apply", "-f", exported}, other.dir());
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  run = Tfctl({"--address", other.address(), "rules", "export"}, other.dir());
  EXPECT_EQ(run.out, yaml.out);
}

TEST_F(TfctlTest, TestCommandPassesTheExampleCases) {
  const Outcome run = Ctl({"test", kExamples + "rules.yaml", kExamples + "cases.yaml"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("PASS  an outage report is an urgent incident"));
  EXPECT_THAT(run.out, HasSubstr("4 passed, 0 failed"));
  // Inline rules only: nothing was stored.
  EXPECT_TRUE(StoredRules().empty());
}

TEST_F(TfctlTest, FailingCaseShowsExpectedActualAndTheFailingPredicate) {
  const std::string cases = TempFile("cases.yaml", R"(cases:
  - name: silver is VIP too
    ticket: {id: T9, subject: Hello, channel: email, custom_fields: {plan: silver}}
    event: {type: ticket.created}
    expect:
      fired: [vip-email]
      ticket_patch: {add_tags: [vip]}
  - name: outage
    ticket: {id: T1, subject: Site is down}
    event: {type: ticket.created}
    expect: {fired: [urgent-outage]}
)");
  Outcome run = Ctl({"test", kExamples + "rules.yaml", cases});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("FAIL  silver is VIP too"));
  EXPECT_THAT(run.out, HasSubstr("expected: [\"vip-email\"]"));
  EXPECT_THAT(run.out, HasSubstr("actual:   []"));
  EXPECT_THAT(run.out, HasSubstr("rule vip-email \"VIP requests by email\": condition false"));
  EXPECT_THAT(run.out, HasSubstr("false    condition.all[1]: ticket.custom_fields.plan in "
                                 "[\"enterprise\",\"gold\"]  (actual \"silver\")"));
  EXPECT_THAT(run.out, HasSubstr("PASS  outage"));
  EXPECT_THAT(run.out, HasSubstr("1 passed, 1 failed"));

  run = Ctl({"test", kExamples + "rules.yaml", cases, "-o", "json"});
  EXPECT_EQ(run.exit_code, 1);
  const Json report = Json::parse(run.out);
  EXPECT_EQ(report["passed"], 1);
  EXPECT_EQ(report["failed"], 1);
  EXPECT_EQ(report["cases"][0]["explanations"][0]["rule_id"], "vip-email");
}

TEST_F(TfctlTest, PublishReportsBadLinesAndContinuesThenExecutionsAreListed) {
  ASSERT_EQ(Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"}).exit_code, 0);
  std::istringstream good(ReadFile(kExamples + "events.jsonl"));
  std::string jsonl, line;
  int n = 0;
  while (std::getline(good, line)) {
    jsonl += line + "\n";
    if (++n == 2) {
      jsonl += "{\"id\": \"broken\", \"type\": \n";                      // line 3: not JSON
      jsonl += "{\"id\": \"no-type\", \"ticket\": {\"id\": \"T7\"}}\n";  // line 4: no type
    }
  }
  const std::string file = TempFile("events.jsonl", jsonl);
  Outcome run = Ctl({"events", "publish", "-f", file, "--progress"});
  EXPECT_EQ(run.exit_code, 1) << Describe(run);
  EXPECT_THAT(run.err, HasSubstr("line 3: INVALID_ARGUMENT: invalid JSON"));
  EXPECT_THAT(run.err, HasSubstr("line 4 (event no-type): INVALID_ARGUMENT"));
  EXPECT_THAT(run.err, HasSubstr("event.type"));
  EXPECT_THAT(run.out, HasSubstr("4 published (0 duplicates), 2 failed"));
  EXPECT_THAT(run.err, HasSubstr("6/6 lines"));  // --progress, final line

  // Again: every good event is a duplicate now.
  run = Ctl({"events", "publish", "-f", file, "-o", "json"});
  EXPECT_EQ(run.exit_code, 1);
  const Json report = Json::parse(run.out);
  EXPECT_EQ(report["published"], 4);
  EXPECT_EQ(report["duplicates"], 4);
  ASSERT_EQ(report["errors"].size(), 2u);
  EXPECT_EQ(report["errors"][0]["line"], 3);
  EXPECT_EQ(report["errors"][1]["line"], 4);
  EXPECT_EQ(report["errors"][1]["event_id"], "no-type");

  run = Ctl({"executions", "list", "--ticket", "T100", "-o", "json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  const Json executions = Json::parse(run.out)["executions"];
  ASSERT_EQ(executions.size(), 2u);
  for (const auto& e : executions) {
    EXPECT_EQ(e["rule_id"], "urgent-outage");
    EXPECT_EQ(e["status"], "EXECUTION_STATUS_SUCCEEDED");
  }
  run = Ctl({"executions", "list", "--rule", "vip-email", "--status", "succeeded"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("T102"));
  EXPECT_THAT(run.out, Not(HasSubstr("T100")));

  const std::string id = executions[0]["id"];
  run = Ctl({"executions", "get", id});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("status:"));
  EXPECT_THAT(run.out, HasSubstr("succeeded"));

  run = Ctl({"tickets", "get", "T100"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, ContainsRegex("priority: +urgent"));
  EXPECT_THAT(run.out, ContainsRegex("fired rules: +urgent-outage"));
}

TEST_F(TfctlTest, ExplainShowsEveryPredicate) {
  ASSERT_EQ(Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"}).exit_code, 0);
  Outcome run = Ctl({"explain", "-f", kExamples + "event.json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("1 rule fired"));
  EXPECT_THAT(run.out, HasSubstr("billing-keywords \"Billing questions go to the billing group\""));
  EXPECT_THAT(run.out, HasSubstr("false    condition.all[1]: ticket.custom_fields.plan in"));
  EXPECT_THAT(run.out, HasSubstr("Ticket patch: group_id=billing"));

  // Draft rules from a file instead of the stored ones.
  const std::string drafts = TempFile("drafts.yaml", R"(rules:
  - id: silver-too
    name: Silver plans
    trigger: {event_types: [ticket.created]}
    condition: {predicate: {field: ticket.custom_fields.plan, operator: is, value: silver}}
    actions: [{type: ticket.add_tags, params: {tags: [silver]}}]
)");
  run = Ctl({"explain", "-f", kExamples + "event.json", "--rules", drafts});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("silver-too \"Silver plans\" (pass 1)"));
  EXPECT_THAT(run.out, Not(HasSubstr("billing-keywords")));

  run = Ctl({"explain", "-f", kExamples + "event.json", "-o", "json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(Json::parse(run.out)["fired_rules"][0]["rule_id"], "billing-keywords");
}

TEST_F(TfctlTest, JsonOutputParses) {
  ASSERT_EQ(Ctl({"rules", "apply", "-f", kExamples + "rules.yaml"}).exit_code, 0);
  ASSERT_EQ(Ctl({"agents", "apply", "-f", kExamples + "agents.yaml"}).exit_code, 0);
  ASSERT_EQ(Ctl({"events", "publish", "-f", kExamples + "events.jsonl"}).exit_code, 0);
  const std::vector<std::vector<std::string>> commands = {
      {"rules", "list"},        {"rules", "get", "vip-email"}, {"agents", "list"},
      {"agents", "get", "cho"}, {"tickets", "get", "T101"},    {"tickets", "list"},
      {"executions", "list"}};
  for (auto args : commands) {
    args.insert(args.end(), {"-o", "json"});
    const Outcome run = Ctl(args);
    ASSERT_EQ(run.exit_code, 0) << args[0] << " " << args[1] << "\n" << Describe(run);
    EXPECT_TRUE(Json::accept(run.out)) << run.out;
  }
  EXPECT_EQ(Json::parse(Ctl({"rules", "list", "-o", "json"}).out)["rules"].size(), 3u);
  EXPECT_EQ(Json::parse(Ctl({"rules", "get", "vip-email", "-o", "json"}).out)["position"], 20);
  EXPECT_EQ(Json::parse(Ctl({"tickets", "get", "T101", "-o", "json"}).out)["ticket"]["group_id"],
            "vip-desk");
}

TEST_F(TfctlTest, AgentsApplyListGetDelete) {
  Outcome run = Ctl({"agents", "apply", "-f", kExamples + "agents.yaml"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("2 created, 0 updated, 0 deleted, 0 unchanged"));
  run = Ctl({"agents", "apply", "-f", kExamples + "agents.yaml"});
  EXPECT_THAT(run.out, HasSubstr("0 created, 0 updated, 0 deleted, 2 unchanged"));
  const std::string changed = TempFile(
      "agents.yaml", "agents:\n  - {id: ana, name: Ana Alves, groups: [tier2], available: true}\n");
  run = Ctl({"agents", "apply", "-f", changed, "--prune"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("update     ana  (email, groups, skills)"));
  EXPECT_THAT(run.out, HasSubstr("delete     cho"));
  run = Ctl({"agents", "list"});
  EXPECT_THAT(run.out, HasSubstr("tier2"));
  EXPECT_THAT(run.out, Not(HasSubstr("cho")));
  run = Ctl({"agents", "delete", "ana"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  run = Ctl({"agents", "get", "ana"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
}

TEST_F(TfctlTest, ApiErrorsExitOneAndUsageErrorsExitTwo) {
  Outcome run = Ctl({"rules", "get", "nope"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("get rule nope: NOT_FOUND"));
  run = Ctl({"rules", "delete", "nope", "-o", "json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Json::parse(run.err)["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(Ctl({"rules", "list", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(Ctl({"rules", "apply", "-f", "/nonexistent.yaml"}).exit_code, 2);
  EXPECT_EQ(Ctl({"executions", "list", "--status", "sleeping"}).exit_code, 2);
  EXPECT_EQ(Ctl({"--ca-file", "/nonexistent.pem", "rules", "list"}).exit_code, 2);
  EXPECT_EQ(Ctl({"--tls", "--cert-file", kExamples + "event.json", "rules", "list"}).exit_code, 2);
  run = Ctl({"rules", "apply", "-f", TempFile("bad.yaml", "rules: [{id: x, nam: y}]\n")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("rules[0]"));
  // Nothing listens here.
  run = Tfctl({"--address", "127.0.0.1:" + std::to_string(testing::FreePort()), "--timeout", "2",
               "rules", "list"},
              server_.dir());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("UNAVAILABLE"));
}

// With authentication on, the token picks the tenant and the roles: tfctl
// sends it from --token or TRIGGERFISH_TOKEN.
TEST(TfctlAuthTest, TokenSelectsTenantAndRoles) {
  const std::string acme = "acme-all-3c9f1e0b7d52a864",
                    acme_publisher = "acme-pub-0e7b5d21c9fa3846",
                    globex = "globex-all-b41d6e0c28f97a35";
  char dir_pattern[] = "/tmp/tfctl-auth-XXXXXX";
  const std::string dir = mkdtemp(dir_pattern);
  const std::string config = dir + "/auth.yaml";
  WriteFile(config,
            "auth:\n  enabled: true\n  tokens:\n"
            "    - {name: acme, sha256: \"" +
                testing::Sha256Hex(acme) +
                "\", tenant: acme, roles: [admin, publisher, reader]}\n"
                "    - {name: acme-publisher, sha256: \"" +
                testing::Sha256Hex(acme_publisher) +
                "\", tenant: acme, roles: [publisher]}\n"
                "    - {name: globex, sha256: \"" +
                testing::Sha256Hex(globex) +
                "\", tenant: globex, roles: [admin, publisher, reader]}\n");
  testing::ServerProcess server({"--config", config});
  ASSERT_TRUE(server.Start()) << server.log();
  auto ctl = [&](const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), {"--address", server.address()});
    if (!token.empty()) args.insert(args.begin(), {"--token", token});
    return Tfctl(args, server.dir());
  };

  Outcome run = ctl("", {"rules", "list"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("UNAUTHENTICATED"));

  run = ctl(acme, {"rules", "apply", "-f", kExamples + "rules.yaml"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("3 created"));
  run = ctl(globex, {"rules", "list", "-o", "json"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(Json::parse(run.out)["rules"].empty());

  // A publisher may publish and test rules, not change them.
  run = ctl(acme_publisher, {"rules", "apply", "-f", kExamples + "rules.yaml"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("PERMISSION_DENIED"));
  run = ctl(acme_publisher, {"test", kExamples + "rules.yaml", kExamples + "cases.yaml"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);

  setenv("TRIGGERFISH_TOKEN", acme_publisher.c_str(), 1);
  run = ctl("", {"events", "publish", "-f", kExamples + "events.jsonl"});
  unsetenv("TRIGGERFISH_TOKEN");
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_THAT(run.out, HasSubstr("4 published (0 duplicates), 0 failed"));
  run = ctl("", {"events", "publish", "-f", kExamples + "events.jsonl"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("UNAUTHENTICATED"));
  run = ctl(acme, {"tickets", "get", "T100"});
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  run = ctl(globex, {"tickets", "get", "T100"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("NOT_FOUND"));
  (void)std::system(("rm -rf '" + dir + "'").c_str());
}

// triggerfishd does not serve TLS yet, so a RuleService of the test's own,
// behind gRPC's TLS with a client certificate required, checks that
// --ca-file, --cert-file and --key-file are what tfctl connects with.
class EmptyRuleService final : public v1::RuleService::Service {
  grpc::Status ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                         v1::ListRulesResponse*) override {
    return grpc::Status::OK;
  }
};

TEST(TfctlTlsTest, ConnectsWithCaAndClientCertificate) {
  char dir_pattern[] = "/tmp/tfctl-tls-XXXXXX";
  const std::string dir = mkdtemp(dir_pattern);
  WriteFile(dir + "/server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  WriteFile(dir + "/client.ext", "extendedKeyUsage=clientAuth\n");
  const std::string script =
      "cd '" + dir +
      "' && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
      "-subj /CN=tfctl-test-ca && "
      "for who in server client; do "
      "openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj /CN=$who && "
      "openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem "
      "-days 1 -extfile $who.ext || exit 1; done >/dev/null 2>&1";
  ASSERT_EQ(std::system(script.c_str()), 0) << "openssl failed";

  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ReadFile(dir + "/ca.pem");
  ssl.pem_key_cert_pairs.push_back({ReadFile(dir + "/server.key"), ReadFile(dir + "/server.pem")});
  EmptyRuleService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  const std::vector<std::string> base = {"--address", "127.0.0.1:" + std::to_string(port),
                                         "--timeout", "5"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), base.begin(), base.end());
    args.insert(args.end(), {"rules", "list"});
    return Tfctl(args, dir);
  };

  Outcome ok = run({"--ca-file", dir + "/ca.pem", "--cert-file", dir + "/client.pem", "--key-file",
                    dir + "/client.key"});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_THAT(ok.out, HasSubstr("ID"));
  setenv("TRIGGERFISH_CA_FILE", (dir + "/ca.pem").c_str(), 1);
  setenv("TRIGGERFISH_CERT_FILE", (dir + "/client.pem").c_str(), 1);
  setenv("TRIGGERFISH_KEY_FILE", (dir + "/client.key").c_str(), 1);
  ok = run({});
  unsetenv("TRIGGERFISH_CA_FILE");
  unsetenv("TRIGGERFISH_CERT_FILE");
  unsetenv("TRIGGERFISH_KEY_FILE");
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);

  // Without the client certificate, or in plaintext, the call fails.
  Outcome refused = run({"--ca-file", dir + "/ca.pem"});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("UNAVAILABLE"));
  refused = run({});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  server->Shutdown();
  (void)std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace triggerfish
