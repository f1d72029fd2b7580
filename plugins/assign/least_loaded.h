// assign.least_loaded: the eligible agent with the fewest open tickets.
//   params: {"group": "tier1", "fallback_group": "tier2", "fallback_tag": "unassigned"}
//   state:  "ll/<group>" = id of the last agent chosen among tied agents
// Ties rotate: among the agents sharing the lowest count, the turn goes to
// the first one after the cursor, in id order (see cursor.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/sdk.h>

#include "agents.h"
#include "assignment.h"
#include "cursor.h"

namespace triggerfish::plugins::assign {

// The least loaded of `eligible` (open_tickets read), ties broken by the
// group's "ll/<group>" rotation cursor.
inline std::string ChooseLeastLoaded(sdk::Context& ctx, const std::string& group,
                                     const std::vector<const Agent*>& eligible) {
  int64_t fewest = std::numeric_limits<int64_t>::max();
  for (const Agent* agent : eligible) fewest = std::min(fewest, agent->open_tickets.value_or(0));
  std::vector<std::string> tied;
  for (const Agent* agent : eligible) {
    if (agent->open_tickets.value_or(0) == fewest) tied.push_back(agent->id);
  }
  if (tied.size() == 1) return tied.front();
  return TakeTurn(ctx, "ll/" + group, tied);
}

class LeastLoadedStrategy : public Strategy {
 public:
  std::string_view name() const override { return "least_loaded"; }
  bool needs_open_tickets() const override { return true; }
  std::string Choose(sdk::Context& ctx, const std::string& group,
                     const std::vector<const Agent*>& eligible) const override {
    return ChooseLeastLoaded(ctx, group, eligible);
  }
};

class LeastLoaded {
 public:
  static constexpr std::string_view kType = "assign.least_loaded";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Assigns to the available agent of a group with the fewest open tickets.";
  static constexpr std::string_view kParamsSchema = kGroupParamsSchema;

  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    return Assign(ctx, params, ticket, LeastLoadedStrategy());
  }
};

}  // namespace triggerfish::plugins::assign
