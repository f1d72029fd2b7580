#include "server/common/page_bytes.h"

#include <atomic>

namespace triggerfish::server {
namespace {

// Half the default max_message_bytes: room for the response's other fields.
std::atomic<size_t> max_page_bytes{2 << 20};

}  // namespace

void SetMaxPageBytes(size_t bytes) { max_page_bytes.store(bytes, std::memory_order_relaxed); }

size_t MaxPageBytes() { return max_page_bytes.load(std::memory_order_relaxed); }

}  // namespace triggerfish::server
