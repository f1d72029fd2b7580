#include "server/rules/rule_manager.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

#include "google/protobuf/util/time_util.h"
#include "server/common/page_bytes.h"
#include "server/common/strings.h"
#include "server/common/violations.h"
#include "server/engine/compiled_rule.h"
#include "server/rules/page_token.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::rules {
namespace {

using google::protobuf::util::TimeUtil;

constexpr size_t kMaxRequestIdLength = 128;
constexpr int32_t kDefaultPageSize = 100;
constexpr int32_t kMaxPageSize = 1000;

std::string NewRuleId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "r";
  uint64_t bits = rng();
  for (int i = 0; i < 15; ++i, bits >>= 4) id.push_back(kHex[bits & 15]);
  return id;
}

std::string EtagOf(const v1::Rule& rule) {
  return StrCat(TimeUtil::TimestampToMicroseconds(rule.create_time()), "-", rule.revision());
}

google::protobuf::Timestamp Now() {
  return TimeUtil::MicrosecondsToTimestamp(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
}

// Deterministic bytes of a request without its request_id: the fingerprint
// that a retry must reproduce.
template <typename Request>
std::string Fingerprint(Request request) {
  request.clear_request_id();
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  request.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.size() <= kMaxRequestIdLength) return absl::OkStatus();
  Violations v;
  v.Add("request_id", StrCat("longer than ", kMaxRequestIdLength, " characters"));
  return v.ToStatus("invalid request");
}

absl::Status NotFound(std::string_view id) {
  return WithReason(absl::NotFoundError(StrCat("rule \"", id, "\" not found")), "RULE_NOT_FOUND");
}

bool ByEvaluationOrder(const v1::Rule& a, const v1::Rule& b) {
  if (a.position() != b.position()) return a.position() < b.position();
  return a.id() < b.id();
}

}  // namespace

RuleManager::RuleManager(store::Store* store, const engine::ActionCatalog* catalog,
                         const engine::RuleLimits& limits)
    : store_(store),
      catalog_(catalog),
      limits_(limits),
      empty_(std::make_shared<engine::RuleSet>(
          std::vector<std::shared_ptr<const engine::CompiledRule>>{})) {}

absl::Status RuleManager::Load() {
  auto stored = store_->LoadRules();
  if (!stored.ok()) return stored.status();
  std::lock_guard lock(write_mu_);
  tenants_.clear();
  for (auto& s : *stored) {
    Tenant& tenant = tenants_[s.tenant];
    std::string error;
    auto compiled = engine::RecompileStoredRule(s.rule, limits_, *catalog_, &error);
    if (compiled) {
      tenant.compiled[s.rule.id()] = std::move(compiled);
    } else {
      spdlog::error("rule {} of tenant {} no longer compiles and is not evaluated: {}", s.rule.id(),
                    s.tenant, error);
    }
    tenant.rules[s.rule.id()] = std::move(s.rule);
  }
  size_t count = 0;
  for (const auto& [name, tenant] : tenants_) {
    Publish(name, tenant);
    count += tenant.rules.size();
  }
  spdlog::info("loaded {} rules of {} tenants", count, tenants_.size());
  return absl::OkStatus();
}

void RuleManager::Publish(const std::string& name, const Tenant& tenant) {
  std::vector<std::shared_ptr<const engine::CompiledRule>> compiled;
  compiled.reserve(tenant.compiled.size());
  for (const auto& [id, rule] : tenant.compiled) compiled.push_back(rule);
  auto all = std::make_shared<std::vector<v1::Rule>>();
  all->reserve(tenant.rules.size());
  for (const auto& [id, rule] : tenant.rules) all->push_back(rule);
  std::sort(all->begin(), all->end(), ByEvaluationOrder);
  Published published{std::make_shared<engine::RuleSet>(std::move(compiled)), std::move(all)};
  std::lock_guard lock(read_mu_);
  published_[name] = std::move(published);
}

RuleManager::Published RuleManager::Read(std::string_view tenant) const {
  std::lock_guard lock(read_mu_);
  auto it = published_.find(std::string(tenant));
  if (it == published_.end()) return {};
  return it->second;
}

std::vector<std::string> RuleManager::TenantsListeningTo(std::string_view event_type) const {
  std::vector<std::string> out;
  std::lock_guard lock(read_mu_);
  for (const auto& [tenant, published] : published_) {
    if (published.set && published.set->ForEventType(event_type) != nullptr) out.push_back(tenant);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<const engine::RuleSet> RuleManager::Snapshot(std::string_view tenant) const {
  auto published = Read(tenant);
  return published.set ? published.set : empty_;
}

absl::Status RuleManager::CheckReplay(std::string_view tenant, std::string_view method,
                                      const std::string& request_id, const std::string& fingerprint,
                                      std::optional<std::string>* replay) {
  replay->reset();
  if (request_id.empty()) return absl::OkStatus();
  auto record = store_->FindRequest(tenant, request_id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return absl::OkStatus();
  if ((*record)->method != method || (*record)->fingerprint != fingerprint) {
    return WithReason(
        absl::FailedPreconditionError(
            StrCat("request_id \"", request_id, "\" was already used for a different request")),
        "REQUEST_ID_REUSED");
  }
  *replay = std::move((*record)->response);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Rule>> RuleManager::ReplayedRule(std::string_view tenant,
                                                                  std::string_view method,
                                                                  const std::string& request_id,
                                                                  const std::string& fingerprint) {
  std::optional<std::string> replay;
  if (auto s = CheckReplay(tenant, method, request_id, fingerprint, &replay); !s.ok()) return s;
  if (!replay) return std::nullopt;
  v1::Rule rule;
  if (!rule.ParseFromString(*replay)) return absl::DataLossError("stored response is corrupt");
  return rule;
}

absl::StatusOr<v1::Rule> RuleManager::Create(std::string_view tenant_name,
                                             const v1::CreateRuleRequest& request) {
  if (auto s = CheckRequestId(request.request_id()); !s.ok()) return s;
  Violations violations;
  if (!request.rule_id().empty() && !engine::IsValidRuleId(request.rule_id())) {
    violations.Add("rule_id",
                   "must be 1-63 characters of [a-z0-9_-] starting with a letter or digit");
    return violations.ToStatus("invalid rule");
  }
  if (!request.has_rule()) {
    violations.Add("rule", "required");
    return violations.ToStatus("invalid rule");
  }

  std::lock_guard lock(write_mu_);
  const std::string fingerprint = Fingerprint(request);
  auto replayed = ReplayedRule(tenant_name, "CreateRule", request.request_id(), fingerprint);
  if (!replayed.ok()) return replayed.status();
  if (*replayed) return std::move(**replayed);

  Tenant& tenant = tenants_[std::string(tenant_name)];
  v1::Rule rule = request.rule();
  rule.set_id(request.rule_id().empty() ? NewRuleId() : request.rule_id());
  if (!rule.has_enabled()) rule.set_enabled(true);
  rule.set_revision(1);
  *rule.mutable_create_time() = Now();
  *rule.mutable_update_time() = rule.create_time();
  rule.set_etag(EtagOf(rule));

  auto compiled = engine::CompileRule(rule, "rule.", limits_, *catalog_, &violations);
  if (!compiled) return violations.ToStatus("invalid rule");
  if (tenant.rules.contains(rule.id())) {
    return WithReason(absl::AlreadyExistsError(StrCat("rule \"", rule.id(), "\" already exists")),
                      "RULE_EXISTS");
  }
  if (static_cast<int>(tenant.rules.size()) >= limits_.max_rules_per_tenant) {
    return WithReason(absl::ResourceExhaustedError(StrCat("tenant has reached the limit of ",
                                                          limits_.max_rules_per_tenant,
                                                          " rules (limits.max_rules_per_tenant)")),
                      "RULE_LIMIT");
  }
  if (request.validate_only()) return rule;

  store::RequestRecord record{request.request_id(), "CreateRule", fingerprint,
                              rule.SerializeAsString()};
  if (auto s =
          store_->InsertRule(tenant_name, rule, request.request_id().empty() ? nullptr : &record);
      !s.ok()) {
    return s;
  }
  tenant.rules[rule.id()] = rule;
  tenant.compiled[rule.id()] = std::move(compiled);
  Publish(std::string(tenant_name), tenant);
  return rule;
}

absl::StatusOr<v1::Rule> RuleManager::Get(std::string_view tenant, std::string_view id) const {
  auto published = Read(tenant);
  if (published.all) {
    for (const auto& rule : *published.all) {
      if (rule.id() == id) return rule;
    }
  }
  return NotFound(id);
}

absl::StatusOr<v1::ListRulesResponse> RuleManager::List(std::string_view tenant,
                                                        const v1::ListRulesRequest& request) const {
  Violations violations;
  if (request.page_size() < 0) violations.Add("page_size", "must not be negative");
  if (request.page_size() > kMaxPageSize) {
    violations.Add("page_size", StrCat("must be at most ", kMaxPageSize));
  }
  const std::string filter = StrCat(
      request.has_enabled() ? (request.enabled() ? "e1" : "e0") : "e-", ";", request.event_type());
  std::optional<PageCursor> cursor;
  if (!request.page_token().empty()) {
    cursor = DecodePageToken(request.page_token());
    if (!cursor) {
      violations.Add("page_token", "malformed page token");
    } else if (cursor->filter != filter) {
      violations.Add("page_token", "page token belongs to a listing with other filters");
    }
  }
  if (!violations.empty()) return violations.ToStatus("invalid list request");

  const int32_t page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  v1::ListRulesResponse response;
  auto published = Read(tenant);
  if (!published.all) return response;
  v1::Rule after;  // the last rule of the previous page
  if (cursor) {
    after.set_position(cursor->position);
    after.set_id(cursor->id);
  }
  int32_t total = 0;
  const v1::Rule* last = nullptr;
  bool more = false;
  size_t bytes = 0;
  const size_t max_bytes = MaxPageBytes();
  for (const auto& rule : *published.all) {
    const bool enabled = !rule.has_enabled() || rule.enabled();
    if (request.has_enabled() && enabled != request.enabled()) continue;
    if (!request.event_type().empty()) {
      const auto& types = rule.trigger().event_types();
      if (std::find(types.begin(), types.end(), request.event_type()) == types.end()) continue;
    }
    ++total;
    if (cursor && !ByEvaluationOrder(after, rule)) continue;
    const size_t rule_bytes = rule.ByteSizeLong();
    if (!more && response.rules_size() < page_size &&
        (response.rules_size() == 0 || bytes + rule_bytes <= max_bytes)) {
      *response.add_rules() = rule;
      bytes += rule_bytes;
      last = &rule;
    } else {
      more = true;
    }
  }
  response.set_total_size(total);
  if (more && last != nullptr) {
    response.set_next_page_token(EncodePageToken({last->position(), last->id(), filter}));
  }
  return response;
}

absl::StatusOr<v1::Rule> RuleManager::Update(std::string_view tenant_name,
                                             const v1::UpdateRuleRequest& request) {
  if (auto s = CheckRequestId(request.request_id()); !s.ok()) return s;
  static const std::vector<std::string> kMutable = {"name",    "description", "enabled", "position",
                                                    "trigger", "condition",   "actions"};
  Violations violations;
  std::vector<std::string> paths;
  for (int i = 0; i < request.update_mask().paths_size(); ++i) {
    const std::string& path = request.update_mask().paths(i);
    if (path == "*") continue;
    const std::string top = path == "trigger.event_types" ? "trigger" : path;
    if (std::find(kMutable.begin(), kMutable.end(), top) == kMutable.end()) {
      violations.Add(StrCat("update_mask.paths[", i, "]"),
                     StrCat("\"", path,
                            "\" cannot be updated; updatable: name, description, "
                            "enabled, position, trigger, condition, actions"));
    } else {
      paths.push_back(top);
    }
  }
  if (paths.empty()) paths = kMutable;
  if (request.rule().id().empty()) violations.Add("rule.id", "required");
  if (!violations.empty()) return violations.ToStatus("invalid update");

  std::lock_guard lock(write_mu_);
  const std::string fingerprint = Fingerprint(request);
  auto replayed = ReplayedRule(tenant_name, "UpdateRule", request.request_id(), fingerprint);
  if (!replayed.ok()) return replayed.status();
  if (*replayed) return std::move(**replayed);
  Tenant& tenant = tenants_[std::string(tenant_name)];
  auto it = tenant.rules.find(request.rule().id());
  if (it == tenant.rules.end()) return NotFound(request.rule().id());
  const v1::Rule& current = it->second;
  if (!request.rule().etag().empty() && request.rule().etag() != current.etag()) {
    return WithReason(absl::AbortedError(StrCat("etag mismatch: rule \"", current.id(),
                                                "\" is at etag ", current.etag())),
                      "ETAG_MISMATCH");
  }
  v1::Rule rule = current;
  const v1::Rule& in = request.rule();
  for (const auto& path : paths) {
    if (path == "name") rule.set_name(in.name());
    if (path == "description") rule.set_description(in.description());
    if (path == "enabled") {
      if (in.has_enabled()) {
        rule.set_enabled(in.enabled());
      } else {
        rule.set_enabled(true);
      }
    }
    if (path == "position") rule.set_position(in.position());
    if (path == "trigger") *rule.mutable_trigger() = in.trigger();
    if (path == "condition") {
      if (in.has_condition()) {
        *rule.mutable_condition() = in.condition();
      } else {
        rule.clear_condition();
      }
    }
    if (path == "actions") *rule.mutable_actions() = in.actions();
  }
  rule.set_revision(current.revision() + 1);
  *rule.mutable_update_time() = Now();
  rule.set_etag(EtagOf(rule));
  auto compiled = engine::CompileRule(rule, "rule.", limits_, *catalog_, &violations);
  if (!compiled) return violations.ToStatus("invalid rule");
  if (request.validate_only()) return rule;

  store::RequestRecord record{request.request_id(), "UpdateRule", fingerprint,
                              rule.SerializeAsString()};
  if (auto s = store_->UpdateRule(tenant_name, rule, current.revision(),
                                  request.request_id().empty() ? nullptr : &record);
      !s.ok()) {
    return s;
  }
  tenant.rules[rule.id()] = rule;
  tenant.compiled[rule.id()] = std::move(compiled);
  Publish(std::string(tenant_name), tenant);
  return rule;
}

absl::Status RuleManager::Delete(std::string_view tenant_name,
                                 const v1::DeleteRuleRequest& request) {
  if (auto s = CheckRequestId(request.request_id()); !s.ok()) return s;
  if (request.id().empty()) {
    Violations v;
    v.Add("id", "required");
    return v.ToStatus("invalid delete");
  }
  std::lock_guard lock(write_mu_);
  const std::string fingerprint = Fingerprint(request);
  std::optional<std::string> replay;
  if (auto s = CheckReplay(tenant_name, "DeleteRule", request.request_id(), fingerprint, &replay);
      !s.ok() || replay) {
    return s;
  }
  Tenant& tenant = tenants_[std::string(tenant_name)];
  auto it = tenant.rules.find(request.id());
  if (it == tenant.rules.end()) return NotFound(request.id());
  if (!request.etag().empty() && request.etag() != it->second.etag()) {
    return WithReason(absl::AbortedError(StrCat("etag mismatch: rule \"", request.id(),
                                                "\" is at etag ", it->second.etag())),
                      "ETAG_MISMATCH");
  }
  store::RequestRecord record{request.request_id(), "DeleteRule", fingerprint, ""};
  if (auto s = store_->DeleteRule(tenant_name, request.id(), it->second.revision(),
                                  request.request_id().empty() ? nullptr : &record);
      !s.ok()) {
    return s;
  }
  tenant.rules.erase(it);
  tenant.compiled.erase(request.id());
  Publish(std::string(tenant_name), tenant);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const engine::RuleSet>> RuleManager::CompileDrafts(
    const google::protobuf::RepeatedPtrField<v1::Rule>& rules) const {
  Violations violations;
  std::vector<std::shared_ptr<const engine::CompiledRule>> compiled;
  if (rules.size() > limits_.max_rules_per_tenant) {
    violations.Add("rules", StrCat("more than ", limits_.max_rules_per_tenant,
                                   " rules (limits.max_rules_per_tenant)"));
    return violations.ToStatus("invalid inline rules");
  }
  std::set<std::string> ids;
  for (int i = 0; i < rules.size(); ++i) {
    v1::Rule rule = rules[i];
    if (rule.id().empty()) rule.set_id(StrCat("inline-", i));
    if (!ids.insert(rule.id()).second) {
      violations.Add(StrCat("rules[", i, "].id"), StrCat("duplicate id \"", rule.id(), "\""));
      continue;
    }
    auto c = engine::CompileRule(rule, StrCat("rules[", i, "]."), limits_, *catalog_, &violations);
    if (c) compiled.push_back(std::move(c));
  }
  if (!violations.empty()) return violations.ToStatus("invalid inline rules");
  return std::make_shared<const engine::RuleSet>(std::move(compiled));
}

}  // namespace triggerfish::server::rules
