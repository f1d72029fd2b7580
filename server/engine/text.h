#pragma once

// Text helpers used by conditions: Unicode-aware lower-casing of UTF-8 for
// case-insensitive comparison.

#include <string>
#include <string_view>

namespace triggerfish::server::engine {

// Returns `text` with every code point lower-cased (Unicode simple mappings
// from the C.UTF-8 locale, plus the few code points such as final sigma and
// the micro sign whose simple case folding is not their lower case), so that two
// strings equal up to case fold to the same bytes. Invalid UTF-8 bytes are
// copied unchanged. Thread-safe.
std::string FoldCase(std::string_view text);

}  // namespace triggerfish::server::engine
