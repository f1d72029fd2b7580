// What every assign.* action shares: try the group, then the fallback group,
// with one strategy; build the ticket patch and an output that says who got
// the ticket or why nobody did.
//
// Output (the execution record's "output"):
//   assigned:   {"assigned": true, "strategy": "round_robin", "group_id": "tier1",
//                "assignee_id": "a2", "fallback_group_used": false,
//                "reassigned_from": "a9",            // only if it had an assignee
//                "considered": [{"group": "tier1", "id": "a1", "eligible": false,
//                                "reason": "unavailable"}, ...]}
//   unassigned: {"assigned": false, "strategy": "round_robin",
//                "reason": "no available agent under capacity in group tier1",
//                "fallback_tag": "unassigned",       // only if one was added
//                "considered": [...]}
// "considered" lists at most kMaxConsidered agents per group; if more were
// left out, "considered_truncated": true.
// Unassigned is still TF_OK: the rule ran as written, nobody was free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/sdk.h>

#include "agents.h"
#include "cursor.h"

namespace triggerfish::plugins::assign {

// At most this many agents per group are listed in "considered", so a large
// group does not bloat every execution record.
inline constexpr size_t kMaxConsidered = 50;

// One way of choosing among a group's agents. A strategy object lives for one
// execution, so it may hold per-ticket data (e.g. required skills).
class Strategy {
 public:
  virtual ~Strategy() = default;

  // "round_robin", "least_loaded", "skills".
  virtual std::string_view name() const = 0;
  // True if Choose needs every eligible agent's open ticket count.
  virtual bool needs_open_tickets() const = 0;
  // Excludes agents that cannot take this particular ticket, before capacity
  // is checked (e.g. missing skills).
  virtual void Exclude(std::vector<Agent>& /*agents*/) const {}
  // Picks one of `eligible` (non-empty, in id order), updating any rotation
  // cursor of `group`.
  virtual std::string Choose(sdk::Context& ctx, const std::string& group,
                             const std::vector<const Agent*>& eligible) const = 0;
  // What an eligible agent is, for the "no ... in group X" reason.
  virtual std::string Wanted() const { return "available agent under capacity"; }
  // Adds strategy-specific members to the output (e.g. required skills).
  virtual void Annotate(sdk::Json& /*output*/) const {}
};

// Params of round_robin and least_loaded; skills adds "skills_from".
inline constexpr std::string_view kGroupParamsSchema = R"({
  "type": "object",
  "required": ["group"],
  "additionalProperties": false,
  "properties": {
    "group": {"type": "string", "minLength": 1, "maxLength": 200},
    "fallback_group": {"type": "string", "minLength": 1, "maxLength": 200},
    "fallback_tag": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^\\s,]+$"}
  }
})";

inline std::string StringMember(const sdk::Json& object, std::string_view name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Lists the agents of `group` in `considered`; returns false if some were
// left out to respect kMaxConsidered.
inline bool AppendConsidered(sdk::Json& considered, const std::string& group,
                             const std::vector<Agent>& agents) {
  for (size_t i = 0; i < agents.size() && i < kMaxConsidered; ++i) {
    const Agent& agent = agents[i];
    sdk::Json entry = {{"group", group}, {"id", agent.id}, {"eligible", agent.eligible()}};
    if (agent.open_tickets) entry["open_tickets"] = *agent.open_tickets;
    if (!agent.eligible()) entry["reason"] = agent.excluded_because;
    considered.push_back(std::move(entry));
  }
  return agents.size() <= kMaxConsidered;
}

// Why a host call failed, in words, for the result message.
inline std::string Describe(const sdk::HostError& e) {
  switch (e.status()) {
    case TF_HOST_UNAVAILABLE:
      return std::string("the host is temporarily unavailable: ") + e.what();
    case TF_HOST_UNSUPPORTED:
      return std::string("the host does not support this call here: ") + e.what();
    default:
      return e.what();
  }
}

// Runs `strategy` on params.group, then on params.fallback_group; assigns the
// ticket to the agent chosen, or leaves it as it is and adds
// params.fallback_tag. Host failures become RETRYABLE (unavailable, or the
// cursor kept changing) or PERMANENT (anything else), as the SDK maps them.
inline sdk::Result Assign(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket,
                          const Strategy& strategy) {
  std::vector<std::string> groups = {params.at("group").get<std::string>()};
  if (std::string fallback = StringMember(params, "fallback_group");
      !fallback.empty() && fallback != groups.front()) {
    groups.push_back(fallback);
  }
  const std::string previous = StringMember(ticket, "assignee_id");
  const std::string action = "assign." + std::string(strategy.name());

  sdk::Json output = {{"strategy", strategy.name()}};
  strategy.Annotate(output);
  sdk::Json considered = sdk::Json::array();
  std::string reasons;
  for (const std::string& group : groups) {
    std::string chosen;
    try {
      std::vector<Agent> agents = ReadGroup(ctx, group);
      strategy.Exclude(agents);
      CheckCapacity(ctx, agents, strategy.needs_open_tickets());
      if (!AppendConsidered(considered, group, agents)) output["considered_truncated"] = true;

      std::vector<const Agent*> eligible;
      for (const Agent& agent : agents) {
        if (agent.eligible()) eligible.push_back(&agent);
      }
      if (eligible.empty()) {
        if (!reasons.empty()) reasons += "; ";
        reasons += agents.empty() ? "group " + group + " has no agents"
                                  : "no " + strategy.Wanted() + " in group " + group;
        continue;
      }
      chosen = strategy.Choose(ctx, group, eligible);
    } catch (const CursorContention& e) {
      return sdk::Result::Retryable(action + ": " + e.what());
    } catch (const sdk::HostError& e) {
      std::string message = action + " in group " + group + ": " + Describe(e);
      return e.retryable() ? sdk::Result::Retryable(message) : sdk::Result::Permanent(message);
    }

    output["assigned"] = true;
    output["group_id"] = group;
    output["assignee_id"] = chosen;
    output["fallback_group_used"] = group != groups.front();
    if (!previous.empty()) output["reassigned_from"] = previous;
    output["considered"] = std::move(considered);
    std::string message = "assigned to " + chosen + " in group " + group;
    if (!previous.empty()) message += " (reassigned from " + previous + ")";
    return sdk::Result::Ok(sdk::TicketPatch().Set("assignee_id", chosen).Set("group_id", group))
        .WithOutput(std::move(output))
        .WithMessage(std::move(message));
  }

  sdk::TicketPatch patch;
  output["assigned"] = false;
  output["reason"] = reasons;
  if (std::string tag = StringMember(params, "fallback_tag"); !tag.empty()) {
    patch.AddTag(tag);
    output["fallback_tag"] = tag;
  }
  if (!previous.empty()) output["assignee_unchanged"] = previous;
  output["considered"] = std::move(considered);
  return sdk::Result::Ok(patch)
      .WithOutput(std::move(output))
      .WithMessage("not assigned: " + reasons);
}

}  // namespace triggerfish::plugins::assign
