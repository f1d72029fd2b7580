#pragma once

// Rule files: YAML or JSON, `rules: [...]` (or a bare list), each rule a
// triggerfish.v1.Rule in proto-JSON form - the format of
// examples/rules/sample.yaml, of `tfctl rules export` and of the server's
// --seed-rules. Other top-level keys (e.g. `agents`) are ignored here.

#include <string>
#include <vector>

#include "tools/tfctl/common.h"
#include "triggerfish/v1/rule.pb.h"

namespace triggerfish::tfctl {

// The rules of `path` in file order. A malformed file, a rule that is not a
// valid Rule (the message names rules[i]), a missing id when `require_ids`
// or a duplicate id is a usage error.
std::vector<v1::Rule> ReadRulesFile(const std::string& path, bool require_ids);

// The rule as a file holds it: without the output-only fields (revision,
// etag, create and update times).
Json RuleToFileJson(const v1::Rule& rule);

}  // namespace triggerfish::tfctl
