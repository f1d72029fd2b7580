#pragma once

// A Bloom filter over the (tenant, event id) pairs that were committed, so
// that publishing a new event - the common case - needs no store lookup to
// know it is not a duplicate. "Maybe" answers (real duplicates and the rare
// false positive) are checked in the store. Fixed size; thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace triggerfish::server::events {

class EventIdFilter {
 public:
  // 2^log2_bits bits (the default, 2^25 bits = 4 MiB, keeps false positives
  // under 1% up to about 3 million events).
  explicit EventIdFilter(int log2_bits = 25);

  void Add(std::string_view tenant, std::string_view id);
  // False: certainly never added.
  bool MightContain(std::string_view tenant, std::string_view id) const;

 private:
  static constexpr int kHashes = 5;
  void Positions(std::string_view tenant, std::string_view id, uint64_t* out) const;

  uint64_t mask_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace triggerfish::server::events
