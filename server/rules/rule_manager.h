#pragma once

// The tenants' rules: validated and compiled on every write, persisted in the
// Store, and published as immutable per-tenant RuleSet snapshots that the
// trigger cycle reads without locks held.
//
// Writes are serialized; a write is visible to evaluation only after the
// store committed it. Reads (Snapshot, Get, List) never wait for the store.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "server/engine/action.h"
#include "server/engine/limits.h"
#include "server/engine/rule_set.h"
#include "server/store/store.h"
#include "triggerfish/v1/rule_service.pb.h"

namespace triggerfish::server::rules {

class RuleManager {
 public:
  // `store` and `catalog` must outlive the manager.
  RuleManager(store::Store* store, const engine::ActionCatalog* catalog,
              const engine::RuleLimits& limits);

  // Loads every tenant's rules from the store. A stored rule that no longer
  // compiles is logged and left out of evaluation (it stays listed).
  absl::Status Load();

  // The tenant's current rules (an empty set when it has none). Never null.
  std::shared_ptr<const engine::RuleSet> Snapshot(std::string_view tenant) const;

  // RuleService semantics; see rule_service.proto.
  absl::StatusOr<v1::Rule> Create(std::string_view tenant, const v1::CreateRuleRequest& request);
  absl::StatusOr<v1::Rule> Get(std::string_view tenant, std::string_view id) const;
  absl::StatusOr<v1::ListRulesResponse> List(std::string_view tenant,
                                             const v1::ListRulesRequest& request) const;
  absl::StatusOr<v1::Rule> Update(std::string_view tenant, const v1::UpdateRuleRequest& request);
  absl::Status Delete(std::string_view tenant, const v1::DeleteRuleRequest& request);

  // Validates and compiles draft rules (EvaluateEvent's inline rules) into a
  // set. Violation paths are "rules[i]....".
  absl::StatusOr<std::shared_ptr<const engine::RuleSet>> CompileDrafts(
      const google::protobuf::RepeatedPtrField<v1::Rule>& rules) const;

  const engine::RuleLimits& limits() const { return limits_; }

  // Tenants that have at least one enabled rule listening to `event_type`.
  std::vector<std::string> TenantsListeningTo(std::string_view event_type) const;

 private:
  // What readers see of a tenant; replaced, never modified.
  struct Published {
    std::shared_ptr<const engine::RuleSet> set;
    // Every rule, including those that no longer compile, in evaluation order.
    std::shared_ptr<const std::vector<v1::Rule>> all;
  };
  // A tenant's rules as writers maintain them.
  struct Tenant {
    std::map<std::string, v1::Rule> rules;
    std::map<std::string, std::shared_ptr<const engine::CompiledRule>> compiled;
  };

  Published Read(std::string_view tenant) const;
  // Rebuilds and publishes the snapshot of `name` from `tenant`.
  void Publish(const std::string& name, const Tenant& tenant);
  // Checks the request_id of a mutation: OK with a response when it was
  // already done (the response is in `*replay`), OK without one when it is
  // new, FAILED_PRECONDITION when it was used for another request.
  absl::Status CheckReplay(std::string_view tenant, std::string_view method,
                           const std::string& request_id, const std::string& fingerprint,
                           std::optional<std::string>* replay);
  // CheckReplay for the RPCs that answer with a rule.
  absl::StatusOr<std::optional<v1::Rule>> ReplayedRule(std::string_view tenant,
                                                       std::string_view method,
                                                       const std::string& request_id,
                                                       const std::string& fingerprint);

  store::Store* store_;
  const engine::ActionCatalog* catalog_;
  engine::RuleLimits limits_;
  std::shared_ptr<const engine::RuleSet> empty_;

  // Serializes writers; guards tenants_.
  std::mutex write_mu_;
  std::unordered_map<std::string, Tenant> tenants_;
  // Guards published_; held only to copy or swap pointers.
  mutable std::mutex read_mu_;
  std::unordered_map<std::string, Published> published_;
};

}  // namespace triggerfish::server::rules
