#pragma once

// Shared pieces of the libFuzzer targets: decoding the fuzzer's bytes into a
// message (proto-JSON or binary), an ActionCatalog shaped like the bundled
// ticket and email plugins, and the fixed rules and events the targets
// evaluate against.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/message.h"
#include "server/engine/action.h"
#include "server/engine/compiled_rule.h"
#include "server/engine/limits.h"
#include "triggerfish/v1/event.pb.h"

namespace triggerfish::fuzz {

// Decodes fuzzer input: the first byte selects the encoding (even, e.g. 'J': the
// proto-JSON text in the remaining bytes, odd: the binary wire format), as
// the gRPC gateway and gRPC itself would hand the server a message.
bool DecodeMessage(const uint8_t* data, size_t size, google::protobuf::Message* message);

// Actions modelled on the bundled plugins, with the same modes:
//  - "ticket.set_fields" (inline): params are a TicketPatch in JSON; returns it.
//  - "ticket.add_tags" (inline): params.tags, a list of strings.
//  - "ticket.fail" (inline): always fails, with a patch that must not apply.
//  - "email.send" (deferred): params.to is required.
// Params are validated like a JSON Schema would: wrong shapes are violations.
class FuzzActionCatalog final : public server::engine::ActionCatalog {
 public:
  std::optional<server::engine::ActionMode> ModeOf(std::string_view type) const override;
  void ValidateParams(std::string_view type, const google::protobuf::Struct& params,
                      const std::string& path, server::Violations* violations) const override;
  server::engine::ActionOutcome RunInline(
      const server::engine::ActionRequest& request) const override;
};

// Rules in the spirit of examples/rules/sample.yaml, compiled with `catalog`.
// Aborts if one of them does not compile (the harness is wrong then).
std::vector<std::shared_ptr<const server::engine::CompiledRule>> SampleRules(
    const server::engine::ActionCatalog& catalog, const server::engine::RuleLimits& limits);

// Valid events of the types the sample rules listen to.
std::vector<v1::Event> SampleEvents();

}  // namespace triggerfish::fuzz
