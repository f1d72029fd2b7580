// Must not compile: no kMode.
#include <triggerfish/sdk.h>

namespace tfs = triggerfish::sdk;

struct Modeless {
  static constexpr std::string_view kType = "bad.modeless";
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context&, const tfs::Json&, const tfs::Json&) const {
    return tfs::Result::Ok();
  }
};

TRIGGERFISH_PLUGIN("bad", "1.0.0", Modeless);
