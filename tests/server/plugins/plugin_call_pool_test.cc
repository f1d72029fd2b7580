#include "server/plugins/plugin_call_pool.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace triggerfish::server::plugins {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A call that blocks until the test releases it (so that no thread is left
// inside it when the test ends).
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
};

TEST(PluginCallPoolTest, ACallThatReturnsInTimeRunsOnAWorkerAndItsEffectsAreVisible) {
  PluginCallPool pool("test-pool", 2);
  int value = 0;
  std::thread::id worker;
  EXPECT_TRUE(pool.Run(
      [&] {
        value = 42;
        worker = std::this_thread::get_id();
      },
      milliseconds(1000)));
  EXPECT_EQ(value, 42);
  EXPECT_NE(worker, std::this_thread::get_id());
  EXPECT_EQ(pool.abandoned(), 0);
}

TEST(PluginCallPoolTest, ACallThatHangsIsAbandonedAtItsTimeoutAndTheWorkerIsReplaced) {
  auto gate = std::make_shared<Gate>();
  PluginCallPool pool("test-pool", 1);
  // More hung calls than workers: each is abandoned and replaced, so the
  // single-worker pool still runs the next call.
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    EXPECT_FALSE(pool.Run([gate] { gate->opened.wait(); }, milliseconds(100)));
    const auto waited = Clock::now() - start;
    EXPECT_GE(waited, milliseconds(100));
    EXPECT_LT(waited, milliseconds(2000));
  }
  EXPECT_EQ(pool.abandoned(), 3);
  EXPECT_EQ(pool.abandoned_running(), 3);
  int value = 0;
  EXPECT_TRUE(pool.Run([&] { value = 1; }, milliseconds(1000)));
  EXPECT_EQ(value, 1);
  // Released, the abandoned workers return and leave.
  gate->open.set_value();
  for (int i = 0; i < 200 && pool.abandoned_running() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(pool.abandoned_running(), 0);
}

TEST(PluginCallPoolTest, TheTimeoutRunsFromTheStartNotFromTheWaitForAWorker) {
  PluginCallPool pool("test-pool", 1);
  // Occupy the only worker for 300 ms; a 200 ms call queued behind it must
  // still get its full 200 ms once it starts (so it must not be abandoned).
  std::thread busy([&] {
    EXPECT_TRUE(
        pool.Run([] { std::this_thread::sleep_for(milliseconds(300)); }, milliseconds(5000)));
  });
  std::this_thread::sleep_for(milliseconds(50));
  bool ran = false;
  EXPECT_TRUE(pool.Run(
      [&] {
        std::this_thread::sleep_for(milliseconds(150));
        ran = true;
      },
      milliseconds(200)));
  EXPECT_TRUE(ran);
  busy.join();
  EXPECT_EQ(pool.abandoned(), 0);
}

TEST(PluginCallPoolTest, ZeroTimeoutWaitsForTheCall) {
  PluginCallPool pool("test-pool", 1);
  bool ran = false;
  EXPECT_TRUE(pool.Run(
      [&] {
        std::this_thread::sleep_for(milliseconds(50));
        ran = true;
      },
      milliseconds(0)));
  EXPECT_TRUE(ran);
}

TEST(PluginCallPoolTest, ManyCallersShareTheWorkersAndEveryCallRunsOnce) {
  PluginCallPool pool("test-pool", 3);
  std::atomic<int> runs{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        EXPECT_TRUE(pool.Run([&] { runs.fetch_add(1); }, milliseconds(5000)));
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(runs.load(), 8 * 500);
}

TEST(PluginCallPoolTest, TheDestructorWaitsForTheWorkersButNotForAbandonedCalls) {
  auto gate = std::make_shared<Gate>();
  auto stopped = Clock::now();
  {
    PluginCallPool pool("test-pool", 2);
    EXPECT_FALSE(pool.Run([gate] { gate->opened.wait(); }, milliseconds(50)));
    stopped = Clock::now();
  }
  EXPECT_LT(Clock::now() - stopped, milliseconds(2000));
  gate->open.set_value();
}

}  // namespace
}  // namespace triggerfish::server::plugins
