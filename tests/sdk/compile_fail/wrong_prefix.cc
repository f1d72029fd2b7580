// Must not compile: the action type does not start with the plugin name.
#include <triggerfish/sdk.h>

namespace tfs = triggerfish::sdk;

struct Elsewhere {
  static constexpr std::string_view kType = "other.action";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context&, const tfs::Json&, const tfs::Json&) const {
    return tfs::Result::Ok();
  }
};

TRIGGERFISH_PLUGIN("bad", "1.0.0", Elsewhere);
