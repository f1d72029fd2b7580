// Fuzzes rule validation, compilation and evaluation: the bytes are a
// triggerfish.v1.Rule (proto-JSON or binary, see DecodeMessage), prepared as
// RuleManager::Create prepares it and compiled by engine::CompileRule, as
// CreateRule, UpdateRule and EvaluateEvent's draft rules are. A rule that
// compiles also goes through the store's reload path (RecompileStoredRule)
// and is evaluated, together with the sample rules, against fixed events in
// normal and explain mode. Rejected rules are fine; crashes, leaks and
// undefined behaviour are not.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "server/common/violations.h"
#include "server/engine/compiled_rule.h"
#include "server/engine/rule_set.h"
#include "server/engine/ticket_patch.h"
#include "server/engine/trigger_cycle.h"

namespace {

using namespace triggerfish;          // NOLINT: fuzz harness brevity
using namespace triggerfish::server;  // NOLINT

struct Fixture {
  fuzz::FuzzActionCatalog catalog;
  engine::RuleLimits limits;
  std::vector<std::shared_ptr<const engine::CompiledRule>> sample_rules;
  std::vector<v1::Event> events;

  Fixture() {
    // Small limits keep each input cheap without skipping any check.
    limits.max_predicates = 64;
    limits.max_list_values = 64;
    limits.max_rule_bytes = 64 * 1024;
    sample_rules = fuzz::SampleRules(catalog, limits);
    events = fuzz::SampleEvents();
  }
};

void Evaluate(const Fixture& f, const engine::RuleSet& set) {
  engine::TriggerCycle cycle(f.catalog);
  for (const v1::Event& event : f.events) {
    for (bool explain : {false, true}) {
      engine::CycleResult result =
          cycle.Run(set, event, {.tenant = "fuzz", .explain = explain, .dry_run = explain});
      // The net patch turns the event's ticket into the final ticket.
      v1::Ticket replayed = event.ticket();
      engine::ApplyPatch(result.patch, &replayed);
      (void)replayed.SerializeAsString();
      if (result.passes > static_cast<int>(set.rules().size()) + 1) {
        std::cerr << "trigger cycle ran " << result.passes << " passes over " << set.rules().size()
                  << " rules\n";
        std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* const fixture = new Fixture();
  const Fixture& f = *fixture;

  v1::Rule rule;
  if (!fuzz::DecodeMessage(data, size, &rule)) return 0;

  // As RuleManager::Create: server-assigned fields are overwritten (the id
  // comes from the request, never from the rule body).
  rule.set_id("fuzzed");
  if (!rule.has_enabled()) rule.set_enabled(true);
  rule.set_revision(1);

  Violations violations;
  auto compiled = engine::CompileRule(rule, "rule.", f.limits, f.catalog, &violations);
  if (!compiled) {
    if (violations.empty()) {
      std::cerr << "CompileRule rejected a rule without a violation\n";
      std::abort();
    }
    for (const auto& v : violations.items()) (void)v.field.size();
    (void)violations.ToStatus("invalid rule");
    return 0;
  }
  if (!violations.empty()) {
    std::cerr << "CompileRule accepted a rule with violations\n";
    std::abort();
  }

  // As RuleManager::Load: a saved rule must compile again from its bytes.
  v1::Rule stored;
  if (!stored.ParseFromString(compiled->rule.SerializeAsString())) std::abort();
  std::string error;
  auto reloaded = engine::RecompileStoredRule(stored, f.limits, f.catalog, &error);
  if (!reloaded) {
    std::cerr << "a rule that compiled does not recompile from the store: " << error << "\n";
    std::abort();
  }

  std::vector<std::shared_ptr<const engine::CompiledRule>> rules = f.sample_rules;
  rules.push_back(compiled);
  Evaluate(f, engine::RuleSet(std::move(rules)));
  Evaluate(f, engine::RuleSet({reloaded}));
  return 0;
}
