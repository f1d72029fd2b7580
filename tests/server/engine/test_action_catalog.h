#pragma once

// A small ActionCatalog for engine tests (the real one, backed by plugins,
// is another component):
//
// - "ticket.patch" (inline): params are a TicketPatch in JSON
//   ({"status": "TICKET_STATUS_OPEN", "add_tags": ["x"]}); returns it.
// - "ticket.fail" (inline): fails PERMANENT with params.message, returning a
//   patch that adds the tag "must_not_apply".
// - "email.send" (deferred): params.to is required.
//
// Every inline call is recorded for the test to inspect.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "server/engine/action.h"

namespace triggerfish::server::engine::testing {

struct RecordedCall {
  std::string tenant;
  std::string rule_id;
  int action_index = 0;
  std::string type;
  v1::Ticket ticket;  // the working ticket the action saw
  std::string event_id;
  bool dry_run = false;
};

class TestActionCatalog final : public ActionCatalog {
 public:
  std::optional<ActionMode> ModeOf(std::string_view type) const override {
    if (type == "ticket.patch" || type == "ticket.fail") return ActionMode::kInline;
    if (type == "email.send") return ActionMode::kDeferred;
    return std::nullopt;
  }

  void ValidateParams(std::string_view type, const google::protobuf::Struct& params,
                      const std::string& path, Violations* violations) const override {
    if (type == "ticket.patch") {
      v1::TicketPatch patch;
      if (!ToPatch(params, &patch)) violations->Add(path, "not a ticket patch");
    } else if (type == "email.send") {
      auto it = params.fields().find("to");
      if (it == params.fields().end() ||
          it->second.kind_case() != google::protobuf::Value::kStringValue) {
        violations->Add(path + ".to", "required: the recipient address");
      }
    }
  }

  ActionOutcome RunInline(const ActionRequest& request) const override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back({std::string(request.tenant), std::string(request.rule_id),
                        request.action_index, std::string(request.type), *request.ticket,
                        request.event->id(), request.dry_run});
    }
    ActionOutcome out;
    if (request.type == "ticket.patch") {
      if (!ToPatch(*request.params, &out.patch)) {
        out.code = ActionOutcome::Code::kPermanent;
        out.message = "bad params";
        return out;
      }
      out.message = "patched";
      return out;
    }
    if (request.type == "ticket.fail") {
      out.code = ActionOutcome::Code::kPermanent;
      auto it = request.params->fields().find("message");
      out.message = it == request.params->fields().end() ? "failed" : it->second.string_value();
      out.patch.add_add_tags("must_not_apply");
      return out;
    }
    out.code = ActionOutcome::Code::kPermanent;
    out.message = "not an inline action";
    return out;
  }

  std::vector<RecordedCall> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  static bool ToPatch(const google::protobuf::Struct& params, v1::TicketPatch* patch) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(params, &json).ok()) return false;
    return google::protobuf::util::JsonStringToMessage(json, patch).ok();
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<RecordedCall> calls_;
};

}  // namespace triggerfish::server::engine::testing
