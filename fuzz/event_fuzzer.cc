// Fuzzes event decoding as EventService.PublishEvent and EvaluateEvent see
// it: the bytes are a triggerfish.v1.Event (proto-JSON or binary, see
// DecodeMessage) checked by engine::ValidateEvent. An event that passes goes
// where the EventPipeline takes it: a trigger cycle over the sample rules
// (normal and explain mode), the net ticket patch, and the JSON documents
// the pipeline stores for plugins (event, ticket, action params and
// outputs). Rejected events are fine; crashes, leaks, undefined behaviour
// and exceptions are not.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/actions/plugin_json.h"
#include "server/common/violations.h"
#include "server/engine/event_validator.h"
#include "server/engine/rule_set.h"
#include "server/engine/ticket_patch.h"
#include "server/engine/trigger_cycle.h"

namespace {

using namespace triggerfish;          // NOLINT: fuzz harness brevity
using namespace triggerfish::server;  // NOLINT

struct Fixture {
  fuzz::FuzzActionCatalog catalog;
  engine::RuleLimits limits;
  std::unique_ptr<engine::RuleSet> rules;

  Fixture() {
    limits.max_event_bytes = 64 * 1024;
    rules = std::make_unique<engine::RuleSet>(fuzz::SampleRules(catalog, limits));
  }
};

void Fail(const std::string& what, const v1::Event& event) {
  std::cerr << what << "\n" << event.DebugString() << "\n";
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* const fixture = new Fixture();
  const Fixture& f = *fixture;

  v1::Event event;
  if (!fuzz::DecodeMessage(data, size, &event)) return 0;

  Violations violations;
  engine::ValidateEvent(event, "event.", f.limits.max_event_bytes, &violations);
  if (!violations.empty()) {
    (void)violations.ToStatus("invalid event");
    return 0;
  }

  engine::TriggerCycle cycle(f.catalog);
  for (bool explain : {false, true}) {
    engine::CycleResult result;
    result = cycle.Run(*f.rules, event, {.tenant = "fuzz", .explain = explain});

    // The net patch applied to the event's ticket yields the final ticket.
    v1::Ticket replayed = event.ticket();
    engine::ApplyPatch(result.patch, &replayed);
    v1::TicketPatch again = engine::DiffTickets(replayed, result.ticket);
    (void)again.SerializeAsString();

    // What EventPipeline::BuildCommit stores for deferred and inline actions.
    try {
      (void)actions::EventToJson(event).dump();
      (void)actions::TicketToJson(result.ticket).dump();
      for (const v1::FiredRule& fired : result.fired_rules) {
        for (const v1::ActionResult& action : fired.actions()) {
          if (action.has_output()) (void)actions::ValueToJson(action.output()).dump();
        }
      }
      for (const engine::DeferredAction& d : result.deferred_actions) {
        (void)actions::StructToJson(d.params).dump();
      }
      if (event.has_payload()) {
        // Plugins receive the payload as JSON and may hand it back.
        google::protobuf::Value back = actions::JsonToValue(actions::ValueToJson(event.payload()));
        (void)back.ByteSizeLong();
      }
    } catch (const std::exception& e) {
      Fail(std::string("JSON conversion of a valid event threw: ") + e.what(), event);
    }
  }
  return 0;
}
