// Must not compile: Execute is not const.
#include <triggerfish/sdk.h>

namespace tfs = triggerfish::sdk;

struct Mutating {
  static constexpr std::string_view kType = "bad.mutating";
  static constexpr tfs::Mode kMode = tfs::Mode::kInline;
  static constexpr std::string_view kParamsSchema = R"({"type": "object"})";
  tfs::Result Execute(tfs::Context&, const tfs::Json&, const tfs::Json&) {
    return tfs::Result::Ok();
  }
};

TRIGGERFISH_PLUGIN("bad", "1.0.0", Mutating);
