#include "server/events/event_id_filter.h"

namespace triggerfish::server::events {
namespace {

// FNV-1a over tenant, a separator and id, with a seed.
uint64_t Hash(std::string_view tenant, std::string_view id, uint64_t seed) {
  uint64_t h = 14695981039346656037ull ^ seed;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(tenant);
  h ^= 0xff;
  h *= 1099511628211ull;
  mix(id);
  return h ^ (h >> 29);
}

}  // namespace

EventIdFilter::EventIdFilter(int log2_bits)
    : mask_((uint64_t{1} << log2_bits) - 1),
      words_(new std::atomic<uint64_t>[(uint64_t{1} << log2_bits) / 64]()) {}

void EventIdFilter::Positions(std::string_view tenant, std::string_view id, uint64_t* out) const {
  // Double hashing (Kirsch-Mitzenmacher): position i = h1 + i * h2.
  const uint64_t h1 = Hash(tenant, id, 0);
  const uint64_t h2 = Hash(tenant, id, 0x9e3779b97f4a7c15ull) | 1;
  for (int i = 0; i < kHashes; ++i) out[i] = (h1 + i * h2) & mask_;
}

void EventIdFilter::Add(std::string_view tenant, std::string_view id) {
  uint64_t positions[kHashes];
  Positions(tenant, id, positions);
  for (uint64_t p : positions) {
    words_[p >> 6].fetch_or(uint64_t{1} << (p & 63), std::memory_order_relaxed);
  }
}

bool EventIdFilter::MightContain(std::string_view tenant, std::string_view id) const {
  uint64_t positions[kHashes];
  Positions(tenant, id, positions);
  for (uint64_t p : positions) {
    if ((words_[p >> 6].load(std::memory_order_relaxed) & (uint64_t{1} << (p & 63))) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace triggerfish::server::events
