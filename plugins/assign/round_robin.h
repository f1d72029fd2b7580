// assign.round_robin: fair rotation over the group's eligible agents.
//   params: {"group": "tier1", "fallback_group": "tier2", "fallback_tag": "unassigned"}
//   state:  "rr/<group>" = id of the agent that got the last turn (JSON string)
// The next ticket goes to the first eligible agent, in id order, after the
// one that got the last turn. With a constant set of eligible agents, N
// tickets over K agents give each exactly N/K (±1), also under concurrency:
// the cursor moves by compare-and-set, so no turn is handed out twice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/sdk.h>

#include "agents.h"
#include "assignment.h"
#include "cursor.h"

namespace triggerfish::plugins::assign {

class RoundRobinStrategy : public Strategy {
 public:
  std::string_view name() const override { return "round_robin"; }
  bool needs_open_tickets() const override { return false; }
  std::string Choose(sdk::Context& ctx, const std::string& group,
                     const std::vector<const Agent*>& eligible) const override {
    std::vector<std::string> ids;
    for (const Agent* agent : eligible) ids.push_back(agent->id);
    return TakeTurn(ctx, "rr/" + group, ids);
  }
};

class RoundRobin {
 public:
  static constexpr std::string_view kType = "assign.round_robin";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Assigns to the next available agent under capacity of a group, in turn.";
  static constexpr std::string_view kParamsSchema = kGroupParamsSchema;

  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    return Assign(ctx, params, ticket, RoundRobinStrategy());
  }
};

}  // namespace triggerfish::plugins::assign
