#include "server/events/event_id_filter.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace triggerfish::server::events {
namespace {

TEST(EventIdFilterTest, NeverForgetsAnAddedIdAndSeldomClaimsAnOther) {
  EventIdFilter filter(20);  // 1 Mi bits
  for (int i = 0; i < 50000; ++i) filter.Add("default", "e" + std::to_string(i));
  for (int i = 0; i < 50000; ++i) {
    ASSERT_TRUE(filter.MightContain("default", "e" + std::to_string(i))) << i;
  }
  int false_positives = 0;
  for (int i = 50000; i < 150000; ++i)
    false_positives += filter.MightContain("default", "e" + std::to_string(i));
  EXPECT_LT(false_positives, 1000) << "over 1% false positives at 50k ids in 1 Mi bits";
}

TEST(EventIdFilterTest, TenantsAreDistinct) {
  EventIdFilter filter(16);
  filter.Add("acme", "e1");
  EXPECT_TRUE(filter.MightContain("acme", "e1"));
  EXPECT_FALSE(filter.MightContain("globex", "e1"));
  EXPECT_FALSE(filter.MightContain("acm", "ee1"));
}

TEST(EventIdFilterTest, ConcurrentAddsAreAllVisible) {
  EventIdFilter filter(20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i)
        filter.Add("default", std::to_string(t) + "-" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 8; ++t) {
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(filter.MightContain("default", std::to_string(t) + "-" + std::to_string(i)));
    }
  }
}

}  // namespace
}  // namespace triggerfish::server::events
