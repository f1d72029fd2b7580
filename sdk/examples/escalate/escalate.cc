// escalate.bump_priority: raises the ticket's priority by `steps` levels
// (low < normal < high < urgent), never above `max`, optionally tags the
// ticket, and counts escalations per ticket in durable plugin state.
//
//   params: {"steps": 1, "max": "urgent", "tag": "escalated"}
//   result: {"ticket_patch": {"set": {"priority": "high"}, "add_tags": ["escalated"]},
//            "output": {"escalations": 1}}
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include <triggerfish/sdk.h>

namespace escalate {

namespace tfs = triggerfish::sdk;

constexpr std::array<std::string_view, 4> kPriorities = {"low", "normal", "high", "urgent"};

// Index of `priority` in kPriorities; an unknown or missing one counts as
// "normal", the helpdesk default.
int Level(std::string_view priority) {
  auto it = std::find(kPriorities.begin(), kPriorities.end(), priority);
  return it == kPriorities.end() ? 1 : static_cast<int>(it - kPriorities.begin());
}

class BumpPriority {
 public:
  static constexpr std::string_view kType = "escalate.bump_priority";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kDescription =
      "Raises the priority by some levels, up to a maximum.";
  static constexpr std::string_view kParamsSchema = R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "steps": {"type": "integer", "minimum": 1, "maximum": 3, "default": 1},
      "max": {"enum": ["normal", "high", "urgent"], "default": "urgent"},
      "tag": {"type": "string", "minLength": 1, "pattern": "^[^\\s,]+$"}
    }
  })";

  tfs::Result Execute(tfs::Context& ctx, const tfs::Json& params, const tfs::Json& ticket) const {
    int current = Level(ticket.value("priority", std::string("normal")));
    int ceiling = Level(params.value("max", std::string("urgent")));
    int wanted = std::min(current + params.value("steps", 1), ceiling);
    if (wanted <= current) {
      return tfs::Result::Ok().WithMessage("priority already at or above the maximum");
    }

    tfs::TicketPatch patch;
    patch.Set("priority", kPriorities[wanted]);
    if (params.contains("tag")) patch.AddTag(params["tag"].get<std::string>());

    // State is per tenant and plugin; the key makes it per ticket too.
    int64_t count = ctx.IncrementState("escalations:" + ticket.value("id", std::string()));
    ctx.Log(tfs::LogLevel::kInfo, "escalated ticket to " + std::string(kPriorities[wanted]));
    return tfs::Result::Ok(patch).WithOutput({{"escalations", count}});
  }
};

}  // namespace escalate

TRIGGERFISH_PLUGIN("escalate", "1.0.0", escalate::BumpPriority);
