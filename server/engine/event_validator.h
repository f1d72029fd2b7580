#pragma once

// Checks an incoming event before it reaches the trigger cycle.

#include <string_view>

#include "server/common/violations.h"
#include "triggerfish/v1/event.pb.h"

namespace triggerfish::server::engine {

// Adds a violation under `prefix` ("event.") for every malformed part of
// `event`: missing or over-long id, invalid type, missing ticket or ticket id,
// unknown enum numbers, out-of-range timestamps, non-finite numbers in custom
// fields, and a size over the limit.
// An event larger than `max_bytes` serialized is one violation on `event`.
void ValidateEvent(const v1::Event& event, std::string_view prefix, size_t max_bytes,
                   Violations* violations);

}  // namespace triggerfish::server::engine
