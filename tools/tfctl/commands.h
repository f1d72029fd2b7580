#pragma once

// Each command group adds its subcommands to the application; their
// callbacks run after parsing and end with a Failure on error. One
// translation unit per group keeps gRPC headers out of the others.

#include "tools/tfctl/common.h"

namespace CLI {
class App;
}

namespace triggerfish::tfctl {

// rules apply/list/get/delete/export (rules.cc).
void AddRulesCommands(CLI::App& app, const GlobalOptions& options);
// test RULES CASES (rule_tests.cc).
void AddTestCommand(CLI::App& app, const GlobalOptions& options);
// events publish, explain (events.cc).
void AddEventsCommands(CLI::App& app, const GlobalOptions& options);
// executions list/get/retry (executions.cc).
void AddExecutionsCommands(CLI::App& app, const GlobalOptions& options);
// agents list/get/apply/delete (agents.cc).
void AddAgentsCommands(CLI::App& app, const GlobalOptions& options);
// tickets get/list (tickets.cc).
void AddTicketsCommands(CLI::App& app, const GlobalOptions& options);

}  // namespace triggerfish::tfctl
