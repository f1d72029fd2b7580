// Reading a group's agents from the host directory and deciding who may
// take a ticket.
//
// An agent is eligible when it is available and under its capacity:
// max_open_tickets == 0 (no limit) or open tickets < max_open_tickets.
// Absent or mistyped members of the directory's Agent JSON count as
// "unavailable", "no limit" and "no skills", so an agent the host knows
// little about never receives tickets by accident.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <triggerfish/sdk.h>

namespace triggerfish::plugins::assign {

struct Agent {
  std::string id;
  bool available = false;
  int64_t max_open_tickets = 0;  // 0 = no limit
  std::vector<std::string> skills;
  // Read from the directory only when capacity or load matters.
  std::optional<int64_t> open_tickets;
  // Why the agent cannot take this ticket; empty while eligible.
  std::string excluded_because;

  bool eligible() const { return excluded_because.empty(); }
};

// The agents of `group` sorted by id, the unavailable ones already excluded.
// Throws sdk::HostError if the directory call fails and std::runtime_error
// if it returns something other than an array of agents with ids.
inline std::vector<Agent> ReadGroup(sdk::Context& ctx, const std::string& group) {
  sdk::Json listed = ctx.GroupAgents(group);
  if (!listed.is_array()) {
    throw std::runtime_error("the directory returned a non-array for group " + group);
  }
  std::vector<Agent> agents;
  for (const sdk::Json& entry : listed) {
    auto id = entry.is_object() ? entry.find("id") : entry.end();
    if (!entry.is_object() || id == entry.end() || !id->is_string() || id->empty()) {
      throw std::runtime_error("the directory returned an agent without an id in group " + group);
    }
    Agent agent;
    agent.id = id->get<std::string>();
    auto available = entry.find("available");
    agent.available = available != entry.end() && available->is_boolean() && available->get<bool>();
    auto max = entry.find("max_open_tickets");
    if (max != entry.end() && max->is_number_integer()) {
      agent.max_open_tickets = std::max<int64_t>(max->get<int64_t>(), 0);
    }
    if (auto skills = entry.find("skills"); skills != entry.end() && skills->is_array()) {
      for (const sdk::Json& skill : *skills) {
        if (skill.is_string()) agent.skills.push_back(skill.get<std::string>());
      }
    }
    if (!agent.available) agent.excluded_because = "unavailable";
    agents.push_back(std::move(agent));
  }
  // The host promises id order; sorting keeps the rotation right if it slips.
  std::sort(agents.begin(), agents.end(),
            [](const Agent& a, const Agent& b) { return a.id < b.id; });
  return agents;
}

// Reads the open ticket count of every still-eligible agent that has a limit
// (all of them if `need_open_tickets`) and excludes those at capacity.
// Throws sdk::HostError if the directory call fails.
inline void CheckCapacity(sdk::Context& ctx, std::vector<Agent>& agents, bool need_open_tickets) {
  for (Agent& agent : agents) {
    if (!agent.eligible()) continue;
    if (agent.max_open_tickets == 0 && !need_open_tickets) continue;
    int64_t open = ctx.OpenTicketCount(agent.id);
    agent.open_tickets = open;
    if (agent.max_open_tickets > 0 && open >= agent.max_open_tickets) {
      agent.excluded_because = "at capacity (" + std::to_string(open) + "/" +
                               std::to_string(agent.max_open_tickets) + " open tickets)";
    }
  }
}

}  // namespace triggerfish::plugins::assign
