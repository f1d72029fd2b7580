#pragma once

// The engine's view of actions. The engine runs the trigger cycle; what an
// action does is supplied by an ActionCatalog (the plugin host implements it
// with actions loaded from shared libraries).

#include <optional>
#include <string>
#include <string_view>

#include "google/protobuf/struct.pb.h"
#include "server/common/violations.h"
#include "triggerfish/v1/event.pb.h"
#include "triggerfish/v1/ticket.pb.h"

namespace triggerfish::server::actions {
class UnitOfWork;
}

namespace triggerfish::server::engine {

enum class ActionMode {
  // Runs inside the trigger cycle, may return a ticket patch.
  kInline,
  // Has outside effects; queued and run after the event is committed.
  kDeferred,
};

// One inline action call.
struct ActionRequest {
  std::string_view tenant;
  std::string_view rule_id;
  int action_index = 0;
  std::string_view type;
  const google::protobuf::Struct* params = nullptr;
  // The working ticket as the action sees it.
  const v1::Ticket* ticket = nullptr;
  const v1::Event* event = nullptr;
  // True for EvaluateEvent: the action must not change durable state.
  bool dry_run = false;
  // Buffers the action's state and timer changes for the event's commit;
  // null when the caller keeps no state (e.g. tests).
  actions::UnitOfWork* work = nullptr;
};

struct ActionOutcome {
  enum class Code { kOk, kRetryable, kPermanent };
  Code code = Code::kOk;
  // Applied to the working ticket when code is kOk.
  v1::TicketPatch patch;
  google::protobuf::Value output;
  std::string message;
};

// The actions the server knows. Implementations are thread-safe.
class ActionCatalog {
 public:
  virtual ~ActionCatalog() = default;

  // The mode of action `type`, or nullopt when no such action exists.
  virtual std::optional<ActionMode> ModeOf(std::string_view type) const = 0;

  // Checks `params` of an existing action `type` against its schema, adding
  // violations under `path` (e.g. "rule.actions[0].params").
  virtual void ValidateParams(std::string_view type, const google::protobuf::Struct& params,
                              const std::string& path, Violations* violations) const = 0;

  // Runs an inline action. Never throws; failures are reported in the outcome.
  virtual ActionOutcome RunInline(const ActionRequest& request) const = 0;
};

// A catalog with no actions: every action type is unknown.
class EmptyActionCatalog final : public ActionCatalog {
 public:
  std::optional<ActionMode> ModeOf(std::string_view) const override { return std::nullopt; }
  void ValidateParams(std::string_view, const google::protobuf::Struct&, const std::string&,
                      Violations*) const override {}
  ActionOutcome RunInline(const ActionRequest& request) const override {
    ActionOutcome out;
    out.code = ActionOutcome::Code::kPermanent;
    out.message = std::string("unknown action type ") + std::string(request.type);
    return out;
  }
};

}  // namespace triggerfish::server::engine
