#include "bench/rule_mix.h"

#include <array>
#include <cstdio>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace triggerfish::bench {
namespace {

using google::protobuf::Value;

// Vocabularies. Statuses and priorities are in enum order (rank = index + 1).
constexpr std::array<std::string_view, 6> kStatuses = {"new",     "open",   "pending",
                                                       "on_hold", "solved", "closed"};
constexpr std::array<std::string_view, 4> kPriorities = {"low", "normal", "high", "urgent"};
constexpr std::array<std::string_view, 6> kChannels = {"email", "web", "chat",
                                                       "phone", "api", "social"};
constexpr std::array<std::string_view, 4> kTypes = {"question", "incident", "problem", "task"};
constexpr std::array<std::string_view, 20> kGroups = {
    "g01", "g02", "g03", "g04", "g05", "g06", "g07", "g08", "g09", "g10",
    "g11", "g12", "g13", "g14", "g15", "g16", "g17", "g18", "g19", "g20"};
constexpr std::array<std::string_view, 40> kTags = {"vip",
                                                    "billing",
                                                    "refund",
                                                    "bug",
                                                    "feature_request",
                                                    "urgent",
                                                    "escalated",
                                                    "churn",
                                                    "enterprise",
                                                    "trial",
                                                    "mobile",
                                                    "web",
                                                    "api",
                                                    "login",
                                                    "password",
                                                    "shipping",
                                                    "returns",
                                                    "invoice",
                                                    "outage",
                                                    "security",
                                                    "gdpr",
                                                    "spam",
                                                    "social",
                                                    "twitter",
                                                    "phone",
                                                    "chat",
                                                    "email",
                                                    "german",
                                                    "french",
                                                    "spanish",
                                                    "japanese",
                                                    "partner",
                                                    "reseller",
                                                    "onboarding",
                                                    "renewal",
                                                    "upsell",
                                                    "sla_breach",
                                                    "followup",
                                                    "waiting_customer",
                                                    "auto_reply"};
constexpr std::array<std::string_view, 4> kPlans = {"free", "starter", "pro", "enterprise"};
constexpr std::array<std::string_view, 4> kRegions = {"eu", "us", "apac", "latam"};
constexpr std::array<std::string_view, 5> kLanguages = {"en", "de", "fr", "es", "ja"};
constexpr std::array<std::string_view, 12> kOrganizations = {
    "acme",  "globex", "initech", "umbrella",  "hooli",   "bigcorp",
    "stark", "wayne",  "tyrell",  "cyberdyne", "soylent", "wonka"};
constexpr std::array<std::string_view, 6> kDomains = {"gmail.com", "outlook.com", "bigcorp.com",
                                                      "acme.io",   "globex.com",  "yahoo.com"};
constexpr std::array<std::string_view, 8> kSubjectRegexes = {
    R"((?i)\b(refund|chargeback|money back)\b)",
    R"((?i)(can ?not|can't|unable to) (log ?in|sign ?in|access))",
    R"((?i)order\s*#?\d{5,})",
    R"((?i)\b(urgent|asap|immediately)\b)",
    R"((?i)invoice\s+(no\.?\s*)?\d+)",
    R"((?i)password\s+reset)",
    R"((?i)^re:\s)",
    R"((?i)(outage|is down|not working))"};
constexpr std::array<std::string_view, 4> kCommentRegexes = {
    R"((?i)\b(cancel|unsubscribe)\b)", R"((?i)thank(s| you))", R"((?i)\b(lawyer|legal|gdpr)\b)",
    R"(\d{3}-\d{3}-\d{4})"};
constexpr std::array<std::string_view, 8> kSubjectWords = {
    "refund", "login", "invoice", "shipping", "broken", "upgrade", "cancel", "api"};
constexpr std::array<std::string_view, 6> kCommentWords = {"thanks",  "still", "escalate",
                                                           "manager", "asap",  "resolved"};
constexpr std::array<std::string_view, 14> kSubjects = {"Refund for order #48213",
                                                        "Cannot log in to my account",
                                                        "Invoice 2231 is wrong",
                                                        "Shipping delay on order 99812",
                                                        "URGENT: the site is down",
                                                        "Question about upgrading to pro",
                                                        "Re: your ticket",
                                                        "Password reset link not working",
                                                        "API returns 500 on /v2/orders",
                                                        "Feature request: dark mode",
                                                        "Please cancel my subscription",
                                                        "Billing address change",
                                                        "App crashes on start",
                                                        "Where is my package?"};
constexpr std::array<std::string_view, 6> kDescriptions = {
    "Hello, I have been trying since yesterday and nothing works. Please help.",
    "Our whole team is blocked. This is costing us money every hour.",
    "I was charged twice this month, see the attached invoice.",
    "The tracking number says delivered but nothing arrived.",
    "Steps to reproduce: open the app, tap settings, it crashes.",
    "Could you tell me how the enterprise plan differs from pro?"};
constexpr std::array<std::string_view, 6> kComments = {
    "Thanks, that fixed it!",
    "This is still not working, please escalate to a manager.",
    "I want to cancel my account and talk to your legal team about GDPR.",
    "Call me back at 555-201-7788 asap.",
    "Any update on this?",
    "Resolved on our side, you can close the ticket."};

// Event types with their share of events (and of rules' primary trigger).
struct WeightedType {
  std::string_view type;
  int weight;
};
constexpr std::array<WeightedType, 5> kEventTypes = {{{"ticket.created", 30},
                                                      {"ticket.updated", 40},
                                                      {"comment.created", 20},
                                                      {"sla.warning", 5},
                                                      {"sla.breached", 5}}};

// Deterministic integers from a fixed-seed engine (no std distributions,
// whose output differs between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Below(uint64_t n) { return engine_() % n; }
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(hi - lo + 1)); }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  std::string_view Pick(std::span<const std::string_view> items) {
    return items[Below(items.size())];
  }
  // Index drawn with the given weights.
  size_t Weighted(std::span<const int> weights) {
    int total = 0;
    for (int w : weights) total += w;
    int x = static_cast<int>(Below(total));
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }
  // `k` distinct items.
  std::vector<std::string_view> Distinct(std::span<const std::string_view> items, size_t k) {
    std::vector<std::string_view> pool(items.begin(), items.end());
    k = std::min(k, pool.size());
    for (size_t i = 0; i < k; ++i) std::swap(pool[i], pool[i + Below(pool.size() - i)]);
    pool.resize(k);
    return pool;
  }

 private:
  std::mt19937_64 engine_;
};

std::string_view PickEventType(Rng& rng) {
  std::array<int, kEventTypes.size()> weights;
  for (size_t i = 0; i < kEventTypes.size(); ++i) weights[i] = kEventTypes[i].weight;
  return kEventTypes[rng.Weighted(weights)].type;
}

Value Str(std::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}
Value Num(double n) {
  Value v;
  v.set_number_value(n);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value List(const std::vector<std::string_view>& items) {
  Value v;
  for (std::string_view s : items)
    v.mutable_list_value()->add_values()->set_string_value(std::string(s));
  return v;
}

v1::Condition Pred(std::string_view field, std::string_view op, Value value = Value(),
                   bool ignore_case = false) {
  v1::Condition c;
  v1::Predicate* p = c.mutable_predicate();
  p->set_field(std::string(field));
  p->set_operator_(std::string(op));
  if (value.kind_case() != Value::KIND_NOT_SET) *p->mutable_value() = std::move(value);
  p->set_ignore_case(ignore_case);
  return c;
}

// `is` one value or `in` two or three.
v1::Condition IsOrIn(Rng& rng, std::string_view field, std::span<const std::string_view> values,
                     int is_percent) {
  if (rng.Chance(is_percent)) return Pred(field, "is", Str(rng.Pick(values)));
  return Pred(field, "in", List(rng.Distinct(values, rng.Between(2, 3))));
}

// An equality guard on status (0), channel (1), priority (2) or type (3).
v1::Condition Guard(Rng& rng, int field) {
  switch (field) {
    case 0: {
      // Rules mostly guard on the active statuses.
      constexpr std::array<int, 6> kWeights = {25, 35, 15, 5, 15, 5};
      if (rng.Chance(60))
        return Pred("ticket.status", "is", Str(kStatuses[rng.Weighted(kWeights)]));
      return Pred("ticket.status", "in", List(rng.Distinct(kStatuses, 2)));
    }
    case 1:
      return IsOrIn(rng, "ticket.channel", kChannels, 80);
    case 2:
      return IsOrIn(rng, "ticket.priority", kPriorities, 50);
    default:
      return IsOrIn(rng, "ticket.type", kTypes, 85);
  }
}

struct RuleContext {
  bool comment = false;       // listens to comment.created
  bool updated_only = false;  // listens only to ticket.updated
};

// One predicate that is not a guard.
v1::Condition Body(Rng& rng, const RuleContext& ctx) {
  // Kinds and weights; comment and change predicates only where they apply.
  enum Kind {
    kTagsAny,
    kTagsNone,
    kTagsAll,
    kPlan,
    kRegion,
    kMrr,
    kSubjectRegex,
    kSubjectContains,
    kDescriptionContains,
    kEmailDomain,
    kOrganization,
    kPriorityAtLeast,
    kAge,
    kAssignee,
    kActor,
    kCommentPublic,
    kCommentBody,
    kStatusChangedTo,
    kKindCount
  };
  std::array<int, kKindCount> weights = {14, 10, 3, 10, 5, 5, 8, 6, 3, 4, 2, 5, 4, 4, 2, 0, 0, 0};
  if (ctx.comment) weights[kCommentPublic] = weights[kCommentBody] = 8;
  if (ctx.updated_only) weights[kStatusChangedTo] = 8;
  switch (static_cast<Kind>(rng.Weighted(weights))) {
    case kTagsAny:
      return Pred("ticket.tags", "includes_any", List(rng.Distinct(kTags, rng.Between(1, 3))));
    case kTagsNone:
      return Pred("ticket.tags", "includes_none", List(rng.Distinct(kTags, rng.Between(1, 2))));
    case kTagsAll:
      return Pred("ticket.tags", "includes_all", List(rng.Distinct(kTags, rng.Between(1, 2))));
    case kPlan:
      return IsOrIn(rng, "ticket.custom_fields.plan", kPlans, 60);
    case kRegion:
      return Pred("ticket.custom_fields.region", "is", Str(rng.Pick(kRegions)));
    case kMrr: {
      constexpr std::array<double, 4> kThresholds = {100, 500, 1000, 5000};
      return Pred("ticket.custom_fields.mrr", "greater_than", Num(kThresholds[rng.Below(4)]));
    }
    case kSubjectRegex:
      return Pred("ticket.subject", "matches", Str(rng.Pick(kSubjectRegexes)));
    case kSubjectContains:
      return Pred("ticket.subject", "contains", Str(rng.Pick(kSubjectWords)), true);
    case kDescriptionContains:
      return Pred("ticket.description", "contains", Str(rng.Pick(kSubjectWords)), true);
    case kEmailDomain:
      return Pred("ticket.requester.email", "ends_with",
                  Str(std::string("@") + std::string(rng.Pick(kDomains))), true);
    case kOrganization:
      return Pred("ticket.requester.organization", "is", Str(rng.Pick(kOrganizations)));
    case kPriorityAtLeast:
      return Pred("ticket.priority", "greater_than_or_equal",
                  Str(rng.Chance(70) ? "high" : "urgent"));
    case kAge: {
      constexpr std::array<double, 4> kHours = {1, 4, 24, 72};
      return Pred("ticket.hours_since_created", "greater_than", Num(kHours[rng.Below(4)]));
    }
    case kAssignee:
      return Pred("ticket.assignee_id", rng.Chance(50) ? "absent" : "present");
    case kActor:
      return Pred("event.actor", "starts_with", Str(rng.Chance(50) ? "agent:" : "customer:"));
    case kCommentPublic:
      return Pred("comment.public", "is", Bool(rng.Chance(70)));
    case kCommentBody:
      if (rng.Chance(50)) return Pred("comment.body", "matches", Str(rng.Pick(kCommentRegexes)));
      return Pred("comment.body", "contains", Str(rng.Pick(kCommentWords)), true);
    case kStatusChangedTo:
      return Pred("ticket.status", "changed_to", Str(rng.Chance(60) ? "solved" : "pending"));
    case kKindCount:
      break;
  }
  return Pred("ticket.subject", "present");
}

// Adds non-guard predicates to `parent` (an all / any list) until it holds
// `budget` predicates, with some `any` groups and `not`s.
void AddBodies(Rng& rng, const RuleContext& ctx, int budget,
               google::protobuf::RepeatedPtrField<v1::Condition>* parent) {
  while (budget > 0) {
    if (budget >= 2 && rng.Chance(15)) {
      int n = std::min(budget, rng.Between(2, 3));
      v1::Condition* any = parent->Add();
      for (int i = 0; i < n; ++i) *any->add_any() = Body(rng, ctx);
      budget -= n;
    } else if (rng.Chance(8)) {
      *parent->Add()->mutable_not_() = Body(rng, ctx);
      budget -= 1;
    } else {
      *parent->Add() = Body(rng, ctx);
      budget -= 1;
    }
  }
}

v1::Rule Rule(Rng& rng, int index) {
  v1::Rule rule;
  char id[16];
  std::snprintf(id, sizeof(id), "r-%05d", index);
  rule.set_id(id);
  rule.set_name(std::string("Rule ") + id);
  rule.set_position(index);
  std::string_view primary = PickEventType(rng);
  rule.mutable_trigger()->add_event_types(std::string(primary));
  if (rng.Chance(20)) {
    std::string_view second = PickEventType(rng);
    if (second != primary) rule.mutable_trigger()->add_event_types(std::string(second));
  }
  RuleContext ctx;
  for (const std::string& t : rule.trigger().event_types()) ctx.comment |= t == "comment.created";
  ctx.updated_only = rule.trigger().event_types_size() == 1 && primary == "ticket.updated";

  const int predicates = rng.Between(3, 8);
  v1::Condition* condition = rule.mutable_condition();
  int used = 0;
  // Most rules of a large tenant are scoped to a team or a kind of customer.
  if (rng.Chance(65)) {
    constexpr std::array<int, 4> kScopeWeights = {50, 25, 10, 15};
    switch (rng.Weighted(kScopeWeights)) {
      case 0:
        *condition->add_all() = IsOrIn(rng, "ticket.group_id", kGroups, 80);
        break;
      case 1:
        *condition->add_all() = IsOrIn(rng, "ticket.custom_fields.plan", kPlans, 70);
        break;
      case 2:
        *condition->add_all() =
            Pred("ticket.requester.organization", "is", Str(rng.Pick(kOrganizations)));
        break;
      default:
        *condition->add_all() = Pred("ticket.custom_fields.region", "is", Str(rng.Pick(kRegions)));
        break;
    }
    ++used;
  }
  // Then equality guards on status / channel / priority / type.
  constexpr std::array<int, 3> kGuardCountWeights = {25, 45, 30};
  const int guards =
      std::min(static_cast<int>(rng.Weighted(kGuardCountWeights)), predicates - used);
  constexpr std::array<int, 4> kGuardFieldWeights = {40, 25, 15, 20};
  int last = -1;
  for (int g = 0; g < guards; ++g) {
    int field = static_cast<int>(rng.Weighted(kGuardFieldWeights));
    if (field == last) field = (field + 1) % 4;
    last = field;
    *condition->add_all() = Guard(rng, field);
    ++used;
  }
  AddBodies(rng, ctx, predicates - used, condition->mutable_all());
  return rule;
}

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  return ts;
}

v1::Ticket Ticket(Rng& rng, int index, std::string_view event_type, int64_t now) {
  v1::Ticket t;
  t.set_id("T" + std::to_string(100000 + index));
  t.set_subject(std::string(rng.Pick(kSubjects)));
  t.set_description(std::string(rng.Pick(kDescriptions)));
  std::array<int, 6> status_weights = {5, 40, 20, 5, 25, 5};
  if (event_type == "ticket.created") status_weights = {85, 15, 0, 0, 0, 0};
  if (event_type != "ticket.updated" && event_type != "ticket.created") {
    status_weights = {15, 55, 25, 5, 0, 0};
  }
  t.set_status(static_cast<v1::TicketStatus>(rng.Weighted(status_weights) + 1));
  std::array<int, 4> priority_weights = {15, 50, 25, 10};
  if (event_type.starts_with("sla.")) priority_weights = {5, 30, 40, 25};
  t.set_priority(static_cast<v1::TicketPriority>(rng.Weighted(priority_weights) + 1));
  t.set_type(std::string(rng.Pick(kTypes)));
  t.set_channel(std::string(rng.Pick(kChannels)));
  for (std::string_view tag : rng.Distinct(kTags, rng.Between(0, 6))) t.add_tags(std::string(tag));
  v1::Requester* r = t.mutable_requester();
  r->set_id("u" + std::to_string(rng.Below(50000)));
  r->set_email("user" + std::to_string(rng.Below(50000)) + "@" + std::string(rng.Pick(kDomains)));
  r->set_name("Customer " + std::to_string(rng.Below(50000)));
  if (rng.Chance(70)) r->set_organization(std::string(rng.Pick(kOrganizations)));
  if (rng.Chance(50)) t.set_assignee_id("a" + std::to_string(rng.Below(200)));
  if (rng.Chance(80)) t.set_group_id(std::string(rng.Pick(kGroups)));
  *t.mutable_created_at() = At(now - static_cast<int64_t>(rng.Below(200 * 3600)));
  *t.mutable_updated_at() = At(now - static_cast<int64_t>(rng.Below(3600)));
  auto& custom = *t.mutable_custom_fields();
  if (rng.Chance(90)) {
    constexpr std::array<int, 4> kPlanWeights = {40, 25, 25, 10};
    size_t plan = rng.Weighted(kPlanWeights);
    custom["plan"] = Str(kPlans[plan]);
    if (rng.Chance(75)) custom["mrr"] = Num(static_cast<double>((plan + 1) * rng.Below(3000)));
  }
  if (rng.Chance(80)) custom["region"] = Str(rng.Pick(kRegions));
  if (rng.Chance(60)) custom["language"] = Str(rng.Pick(kLanguages));
  return t;
}

v1::Event Event(Rng& rng, int index) {
  constexpr int64_t kBase = 1772445600;  // 2026-03-02T10:00:00Z
  const int64_t now = kBase + index * 37;
  v1::Event e;
  char id[16];
  std::snprintf(id, sizeof(id), "e-%05d", index);
  e.set_id(id);
  e.set_type(std::string(PickEventType(rng)));
  *e.mutable_occurred_at() = At(now);
  *e.mutable_ticket() = Ticket(rng, index, e.type(), now);
  e.set_actor(rng.Chance(60) ? "customer:" + e.ticket().requester().id()
                             : "agent:a" + std::to_string(rng.Below(200)));
  if (e.type() == "ticket.updated") {
    v1::Ticket previous = e.ticket();
    if (rng.Chance(60)) {
      previous.set_status(static_cast<v1::TicketStatus>(rng.Between(1, 3)));
    }
    if (rng.Chance(25)) {
      previous.set_priority(static_cast<v1::TicketPriority>(rng.Between(1, 4)));
    }
    if (rng.Chance(30) && previous.tags_size() > 0) previous.mutable_tags()->RemoveLast();
    *previous.mutable_updated_at() = At(now - 86400);
    *e.mutable_previous() = std::move(previous);
  }
  if (e.type() == "comment.created") {
    v1::Comment* c = e.mutable_comment();
    c->set_id("c" + std::to_string(index));
    c->set_body(std::string(rng.Pick(kComments)));
    c->set_public_(rng.Chance(70));
    c->set_author_id(e.actor());
  }
  return e;
}

}  // namespace

std::vector<v1::Rule> GenerateRules(int count, uint64_t seed) {
  Rng rng(seed);
  std::vector<v1::Rule> rules;
  rules.reserve(count);
  for (int i = 0; i < count; ++i) rules.push_back(Rule(rng, i));
  return rules;
}

std::vector<v1::Event> GenerateEvents(int count, uint64_t seed) {
  Rng rng(seed);
  std::vector<v1::Event> events;
  events.reserve(count);
  for (int i = 0; i < count; ++i) events.push_back(Event(rng, i));
  return events;
}

int CountPredicates(const v1::Condition& condition) {
  int n = condition.has_predicate() ? 1 : 0;
  for (const auto& c : condition.all()) n += CountPredicates(c);
  for (const auto& c : condition.any()) n += CountPredicates(c);
  if (condition.has_not_()) n += CountPredicates(condition.not_());
  return n;
}

}  // namespace triggerfish::bench
