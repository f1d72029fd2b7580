// tfctl test RULES CASES: rules as code. Each case is an event (and
// optionally its ticket) with expectations; the rules of RULES are sent
// inline to EvaluateEvent, so nothing is stored and nothing runs for real.
//
// Cases file:
//   cases:
//     - name: outage reports are urgent
//       ticket: {id: T1, subject: "Site is down", channel: email}   # optional
//       event: {type: ticket.created}          # a triggerfish.v1.Event
//       expect:
//         fired: [urgent-outage, route-new]    # in firing order, exactly
//         not_fired: [vip-email]
//         ticket_patch: {priority: urgent, add_tags: [outage]}   # listed fields
//         ticket: {priority: urgent}           # listed fields of the result
//         actions:                             # in order, exactly
//           - ticket.set_fields                # type, or:
//           - {rule: urgent-outage, type: ticket.add_tags, status: succeeded}

#include <algorithm>
#include <iostream>
#include <set>

#include "CLI/CLI.hpp"
#include "google/protobuf/descriptor.h"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/explain.h"
#include "tools/tfctl/output.h"
#include "tools/tfctl/rules_file.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

struct Mismatch {
  std::string what;
  Json expected;
  Json actual;
};

struct CaseResult {
  std::string name;
  std::vector<Mismatch> mismatches;
  std::string error;                       // the call failed or the case is malformed
  std::set<std::string> unexpected_rules;  // to explain
  bool show_actions = false;
  v1::EvaluateEventResponse response;
  bool passed() const { return mismatches.empty() && error.empty(); }
};

std::vector<std::string> StringList(const Json& value, const std::string& where) {
  if (!value.is_array()) UsageError(where + ": expected a list of rule ids");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) UsageError(where + ": expected a list of rule ids");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Json SortedIfList(Json value) {
  if (value.is_array()) std::sort(value.begin(), value.end());
  return value;
}

// Compares the fields listed in `expected` (a TicketPatch or Ticket in
// file form) with `actual`. List fields compare as sets; maps (custom
// fields) by the listed keys.
void CompareFields(const Json& expected, const google::protobuf::Message& actual,
                   const std::string& what, const std::string& where, CaseResult* result) {
  if (!expected.is_object()) UsageError(where + ": expected an object");
  std::unique_ptr<google::protobuf::Message> parsed(actual.New());
  if (const std::string error = JsonToMessage(expected, parsed.get()); !error.empty()) {
    UsageError(where + ": " + error);
  }
  const Json want = MessageToJson(*parsed, /*defaults=*/true);
  const Json have = MessageToJson(actual, /*defaults=*/true);
  const auto* descriptor = actual.GetDescriptor();
  for (const auto& [key, unused] : expected.items()) {
    const auto* field = descriptor->FindFieldByName(key);
    if (field == nullptr) field = descriptor->FindFieldByCamelcaseName(key);
    if (field == nullptr) continue;  // JsonToMessage already refused it
    const std::string name = field->name();
    const std::string label = what + "." + name;
    const Json expected_value = want.contains(name) ? want[name] : Json();
    const Json actual_value = have.contains(name) ? have[name] : Json();
    if (field->is_map()) {
      for (const auto& [map_key, value] : expected_value.items()) {
        const Json other = actual_value.is_object() && actual_value.contains(map_key)
                               ? actual_value[map_key]
                               : Json();
        if (other != value) result->mismatches.push_back({label + "." + map_key, value, other});
      }
    } else if (SortedIfList(expected_value) != SortedIfList(actual_value)) {
      result->mismatches.push_back({label, expected_value, actual_value});
    }
  }
}

void CompareActions(const Json& expected, const v1::EvaluateEventResponse& response,
                    const std::string& where, CaseResult* result) {
  if (!expected.is_array()) UsageError(where + ": expected a list");
  Json actual = Json::array();
  for (const auto& rule : response.fired_rules()) {
    for (const auto& action : rule.actions()) {
      actual.push_back({{"rule", rule.rule_id()},
                        {"type", action.type()},
                        {"status", ShortEnumName(v1::ActionStatus_descriptor(), action.status())}});
    }
  }
  Json want = Json::array();
  bool same = expected.size() == actual.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    Json entry = expected[i];
    if (entry.is_string()) entry = {{"type", entry}};
    if (!entry.is_object()) UsageError(where + "[" + std::to_string(i) + "]: expected a type");
    for (const auto& [key, value] : entry.items()) {
      if (key != "rule" && key != "type" && key != "status") {
        UsageError(where + "[" + std::to_string(i) + "]: unknown key \"" + key +
                   "\" (rule, type, status)");
      }
      if (i >= actual.size() || actual[i][key] != value) same = false;
    }
    want.push_back(entry);
  }
  if (!same) {
    result->mismatches.push_back({"actions", want, actual});
    result->show_actions = true;
  }
}

CaseResult RunCase(const Json& test_case, size_t index, const std::string& cases_path,
                   const std::vector<v1::Rule>& rules, v1::EventService::Stub& stub,
                   const GlobalOptions& options) {
  const std::string where = cases_path + ": cases[" + std::to_string(index) + "]";
  if (!test_case.is_object()) UsageError(where + ": expected an object");
  for (const auto& [key, unused] : test_case.items()) {
    if (key != "name" && key != "event" && key != "ticket" && key != "expect") {
      UsageError(where + ": unknown key \"" + key + "\" (name, event, ticket, expect)");
    }
  }
  CaseResult result;
  result.name = test_case.value("name", "case " + std::to_string(index + 1));

  v1::EvaluateEventRequest request;
  if (!test_case.contains("event")) UsageError(where + ": `event` is required");
  if (const std::string error = JsonToMessage(test_case["event"], request.mutable_event());
      !error.empty()) {
    UsageError(where + ".event: " + error);
  }
  if (test_case.contains("ticket")) {
    if (const std::string error =
            JsonToMessage(test_case["ticket"], request.mutable_event()->mutable_ticket());
        !error.empty()) {
      UsageError(where + ".ticket: " + error);
    }
  }
  if (request.event().id().empty()) {
    request.mutable_event()->set_id("test-case-" + std::to_string(index + 1));
  }
  for (const auto& rule : rules) *request.add_rules() = rule;
  request.set_explain(v1::EXPLAIN_LEVEL_FULL);

  auto context = NewContext(options);
  grpc::Status status = stub.EvaluateEvent(context.get(), request, &result.response);
  if (!status.ok()) {
    const google::rpc::Status rpc = RpcStatusOf(status);
    // Inline rules are the same for every case: an invalid one fails them
    // all, so stop at once.
    bool rules_invalid = rpc.code() != grpc::StatusCode::INVALID_ARGUMENT;
    for (const auto& [field, unused] : FieldViolationsOf(rpc)) {
      rules_invalid = rules_invalid || field.starts_with("rules");
    }
    if (rules_invalid) {
      ThrowApiError(status, options, "evaluate " + where + " (" + result.name + ")");
    }
    result.error = FormatRpcStatus(rpc);
    return result;
  }

  const Json expect = test_case.value("expect", Json::object());
  if (!expect.is_object()) UsageError(where + ".expect: expected an object");
  std::vector<std::string> fired;
  for (const auto& rule : result.response.fired_rules()) fired.push_back(rule.rule_id());
  for (const auto& [key, value] : expect.items()) {
    const std::string here = where + ".expect." + key;
    if (key == "fired") {
      const std::vector<std::string> want = StringList(value, here);
      if (want != fired) {
        result.mismatches.push_back({"fired", want, fired});
        std::set<std::string> a(want.begin(), want.end()), b(fired.begin(), fired.end());
        for (const auto& id : a) {
          if (!b.contains(id)) result.unexpected_rules.insert(id);
        }
        for (const auto& id : b) {
          if (!a.contains(id)) result.unexpected_rules.insert(id);
        }
        if (a == b) result.unexpected_rules.insert(a.begin(), a.end());  // order differs
      }
    } else if (key == "not_fired") {
      for (const auto& id : StringList(value, here)) {
        if (std::find(fired.begin(), fired.end(), id) != fired.end()) {
          result.mismatches.push_back({"not_fired", id, fired});
          result.unexpected_rules.insert(id);
        }
      }
    } else if (key == "ticket_patch") {
      const size_t before = result.mismatches.size();
      CompareFields(value, result.response.ticket_patch(), "ticket_patch", here, &result);
      if (result.mismatches.size() != before) result.show_actions = true;
    } else if (key == "ticket") {
      const size_t before = result.mismatches.size();
      CompareFields(value, result.response.ticket(), "ticket", here, &result);
      if (result.mismatches.size() != before) result.show_actions = true;
    } else if (key == "actions") {
      CompareActions(value, result.response, here, &result);
    } else {
      UsageError(here + ": unknown expectation (fired, not_fired, ticket_patch, ticket, actions)");
    }
  }
  return result;
}

void PrintFailure(const CaseResult& result) {
  std::cout << "FAIL  " << result.name << "\n";
  if (!result.error.empty()) {
    std::cout << "  error: " << result.error << "\n";
    return;
  }
  for (const auto& m : result.mismatches) {
    std::cout << "  " << m.what << ":\n    expected: " << JsonText(m.expected)
              << "\n    actual:   " << JsonText(m.actual) << "\n";
  }
  if (result.show_actions) {
    std::cout << "  fired rules and their actions:\n";
    PrintFiredRules(std::cout, result.response.fired_rules(), 4);
  }
  bool header = false;
  for (const auto& explanation : result.response.explanations()) {
    if (!result.unexpected_rules.contains(explanation.rule_id())) continue;
    if (!header) std::cout << "  why:\n";
    header = true;
    PrintExplanation(std::cout, explanation, 4);
  }
  for (const auto& id : result.unexpected_rules) {
    bool known = false;
    for (const auto& e : result.response.explanations()) known = known || e.rule_id() == id;
    if (!known) std::cout << "  no rule \"" << id << "\" in the rules file\n";
  }
}

Json ResultToJson(const CaseResult& result) {
  Json out = {{"name", result.name}, {"passed", result.passed()}};
  if (!result.error.empty()) out["error"] = result.error;
  Json mismatches = Json::array();
  for (const auto& m : result.mismatches) {
    mismatches.push_back({{"what", m.what}, {"expected", m.expected}, {"actual", m.actual}});
  }
  out["mismatches"] = mismatches;
  if (!result.passed()) {
    Json explanations = Json::array();
    for (const auto& e : result.response.explanations()) {
      if (result.unexpected_rules.contains(e.rule_id())) explanations.push_back(MessageToJson(e));
    }
    out["explanations"] = explanations;
  }
  return out;
}

struct TestOptions {
  std::string rules_file;
  std::string cases_file;
};

void RunTests(const TestOptions& test, const GlobalOptions& options) {
  const std::vector<v1::Rule> rules = ReadRulesFile(test.rules_file, /*require_ids=*/false);
  const Json document = ReadDocument(test.cases_file);
  const Json& cases =
      document.is_object() && document.contains("cases") ? document["cases"] : document;
  if (!cases.is_array()) UsageError(test.cases_file + ": expected a list `cases`");

  auto stub = v1::EventService::NewStub(OpenChannel(options));
  int passed = 0, failed = 0;
  Json results = Json::array();
  for (size_t i = 0; i < cases.size(); ++i) {
    const CaseResult result = RunCase(cases[i], i, test.cases_file, rules, *stub, options);
    result.passed() ? ++passed : ++failed;
    if (options.json()) {
      results.push_back(ResultToJson(result));
    } else if (result.passed()) {
      std::cout << "PASS  " << result.name << "\n";
    } else {
      PrintFailure(result);
    }
  }
  if (options.json()) {
    PrintJson({{"passed", passed}, {"failed", failed}, {"cases", results}});
  } else {
    std::cout << passed << " passed, " << failed << " failed\n";
  }
  if (failed > 0) throw Failure(kExitFailed, "");
}

}  // namespace

void AddTestCommand(CLI::App& app, const GlobalOptions& options) {
  auto test = std::make_shared<TestOptions>();
  CLI::App* cmd = app.add_subcommand(
      "test",
      "check rules against test cases (EvaluateEvent with the rules inline; no side "
      "effects)");
  cmd->add_option("rules", test->rules_file, "rules file (as for `rules apply`)")->required();
  cmd->add_option("cases", test->cases_file,
                  "cases file: `cases: [{name, event, ticket, "
                  "expect}]`")
      ->required();
  cmd->callback([test, &options] { RunTests(*test, options); });
}

}  // namespace triggerfish::tfctl
