// assign.skills: the least loaded of the eligible agents whose skills cover
// everything the ticket requires.
//   params: {"group": "tier1", "skills_from": FROM, "fallback_group"?, "fallback_tag"?}
//   FROM is one of
//     {"tag_prefix": "skill:"}    the ticket's tags "skill:x" require skill "x"
//     {"custom_field": "langs"}   a custom field holding a string or a list of strings
//     {"skills": ["billing"]}     fixed in the rule
//   state:  "ll/<group>", the tie-breaking cursor shared with assign.least_loaded
// Skills match exactly (case-sensitive). A ticket that requires no skill can
// go to any eligible agent. A custom field of another type is a PERMANENT
// error: the rule and the ticket data disagree, and retrying will not help.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <triggerfish/sdk.h>

#include "agents.h"
#include "assignment.h"
#include "least_loaded.h"

namespace triggerfish::plugins::assign {

// The skills the ticket requires according to `from` (see above), sorted and
// without duplicates. Throws std::invalid_argument for a custom field that is
// neither a string nor a list of strings.
inline std::vector<std::string> RequiredSkills(const sdk::Json& from, const sdk::Json& ticket) {
  std::vector<std::string> skills;
  if (auto prefix = from.find("tag_prefix"); prefix != from.end()) {
    const std::string& p = prefix->get_ref<const std::string&>();
    if (auto tags = ticket.find("tags"); tags != ticket.end() && tags->is_array()) {
      for (const sdk::Json& tag : *tags) {
        if (!tag.is_string()) continue;
        const std::string& t = tag.get_ref<const std::string&>();
        if (t.size() > p.size() && t.starts_with(p)) skills.push_back(t.substr(p.size()));
      }
    }
  } else if (auto field = from.find("custom_field"); field != from.end()) {
    const std::string& name = field->get_ref<const std::string&>();
    sdk::Json value;
    if (auto fields = ticket.find("custom_fields"); fields != ticket.end() && fields->is_object()) {
      value = fields->value(name, sdk::Json());
    }
    auto bad = [&] {
      return std::invalid_argument("custom field '" + name +
                                   "' must be a string or a list of strings, not " + value.dump());
    };
    if (value.is_string()) {
      skills.push_back(value.get<std::string>());
    } else if (value.is_array()) {
      for (const sdk::Json& item : value) {
        if (!item.is_string()) throw bad();
        skills.push_back(item.get<std::string>());
      }
    } else if (!value.is_null()) {
      throw bad();
    }
  } else {
    skills = from.at("skills").get<std::vector<std::string>>();
  }
  std::erase(skills, std::string());
  std::sort(skills.begin(), skills.end());
  skills.erase(std::unique(skills.begin(), skills.end()), skills.end());
  return skills;
}

class SkillsStrategy : public Strategy {
 public:
  explicit SkillsStrategy(std::vector<std::string> required) : required_(std::move(required)) {}

  std::string_view name() const override { return "skills"; }
  bool needs_open_tickets() const override { return true; }

  void Exclude(std::vector<Agent>& agents) const override {
    for (Agent& agent : agents) {
      if (!agent.eligible()) continue;
      std::vector<std::string> missing;
      for (const std::string& skill : required_) {
        if (std::find(agent.skills.begin(), agent.skills.end(), skill) == agent.skills.end()) {
          missing.push_back(skill);
        }
      }
      if (!missing.empty()) agent.excluded_because = "missing skills " + List(missing);
    }
  }

  std::string Choose(sdk::Context& ctx, const std::string& group,
                     const std::vector<const Agent*>& eligible) const override {
    return ChooseLeastLoaded(ctx, group, eligible);
  }

  std::string Wanted() const override {
    std::string wanted = Strategy::Wanted();
    if (!required_.empty()) wanted += " with skills " + List(required_);
    return wanted;
  }

  void Annotate(sdk::Json& output) const override { output["required_skills"] = required_; }

 private:
  // "[a, b]"
  static std::string List(const std::vector<std::string>& names) {
    std::string out = "[";
    for (size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", " : "") + names[i];
    return out + "]";
  }

  std::vector<std::string> required_;
};

class Skills {
 public:
  static constexpr std::string_view kType = "assign.skills";
  static constexpr sdk::Mode kMode = sdk::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Assigns to the least loaded available agent whose skills cover the ticket's needs.";
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "required": ["group", "skills_from"],
    "additionalProperties": false,
    "properties": {
      "group": {"type": "string", "minLength": 1, "maxLength": 200},
      "fallback_group": {"type": "string", "minLength": 1, "maxLength": 200},
      "fallback_tag": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^\\s,]+$"},
      "skills_from": {
        "oneOf": [
          {"type": "object", "required": ["tag_prefix"], "additionalProperties": false,
           "properties": {"tag_prefix": {"type": "string", "minLength": 1, "maxLength": 80}}},
          {"type": "object", "required": ["custom_field"], "additionalProperties": false,
           "properties": {"custom_field": {"type": "string", "minLength": 1, "maxLength": 128}}},
          {"type": "object", "required": ["skills"], "additionalProperties": false,
           "properties": {"skills": {"type": "array", "minItems": 1, "uniqueItems": true,
                                     "items": {"type": "string", "minLength": 1,
                                               "maxLength": 80}}}}
        ]
      }
    }
  })";

  sdk::Result Execute(sdk::Context& ctx, const sdk::Json& params, const sdk::Json& ticket) const {
    std::vector<std::string> required;
    try {
      required = RequiredSkills(params.at("skills_from"), ticket);
    } catch (const std::invalid_argument& e) {
      return sdk::Result::Permanent(std::string(kType) + ": " + e.what());
    }
    return Assign(ctx, params, ticket, SkillsStrategy(std::move(required)));
  }
};

}  // namespace triggerfish::plugins::assign
