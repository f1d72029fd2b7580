#pragma once

// Durable state of the server behind one interface, so that the engine does
// not know which database holds it. SQLite (embedded, the default) implements
// it now; a PostgreSQL implementation for replicas sharing state follows the
// same contract.
//
// Every method is thread-safe and atomic: it either applies completely and
// durably (fsync'd before it returns OK) or not at all.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::server::store {

struct StoredRule {
  std::string tenant;
  v1::Rule rule;
};

// The outcome of a mutation, kept under its request_id so that a retry
// returns the first response (AIP-155).
struct RequestRecord {
  std::string request_id;
  // RPC the record belongs to, e.g. "CreateRule".
  std::string method;
  // Hash of the request; a retry with the same id but another request is
  // refused.
  std::string fingerprint;
  // Serialized response message.
  std::string response;
};

class Store {
 public:
  virtual ~Store() = default;

  // Every rule of every tenant.
  virtual absl::StatusOr<std::vector<StoredRule>> LoadRules() = 0;

  // The record of `request_id` for `tenant`, or nullopt.
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(std::string_view tenant,
                                                                   std::string_view request_id) = 0;

  // Inserts a new rule, and `record` when not null, in one transaction.
  // ALREADY_EXISTS when the tenant has a rule with that id.
  virtual absl::Status InsertRule(std::string_view tenant, const v1::Rule& rule,
                                  const RequestRecord* record) = 0;

  // Replaces a rule whose stored revision is `expected_revision`, and writes
  // `record` when not null. NOT_FOUND when there is no such rule; ABORTED
  // when its revision differs.
  virtual absl::Status UpdateRule(std::string_view tenant, const v1::Rule& rule,
                                  int64_t expected_revision, const RequestRecord* record) = 0;

  // Deletes a rule whose stored revision is `expected_revision`, and writes
  // `record` when not null. NOT_FOUND / ABORTED as for UpdateRule.
  virtual absl::Status DeleteRule(std::string_view tenant, std::string_view id,
                                  int64_t expected_revision, const RequestRecord* record) = 0;

  // The value of a plugin's state key, or nullopt when it has none.
  virtual absl::StatusOr<std::optional<std::string>> GetPluginState(std::string_view tenant,
                                                                    std::string_view plugin,
                                                                    std::string_view key) = 0;
};

}  // namespace triggerfish::server::store
