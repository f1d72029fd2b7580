#include "server/plugins/plugin_call_pool.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "server/common/thread_name.h"
#include "server/plugins/call_watch.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::plugins {
namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  enum class State { kQueued, kRunning, kDone, kAbandoned };
  std::function<void()> fn;
  State state = State::kQueued;
  Clock::time_point started;
  std::condition_variable done;  // the caller waits on it
};

}  // namespace

// Outlives the pool while abandoned workers still run: each worker holds it.
struct PluginCallPool::Shared {
  std::string name;
  std::mutex mu;  // guards everything below and every Call's state
  std::condition_variable work;
  std::condition_variable exited;
  std::deque<std::shared_ptr<Call>> queue;
  bool stopping = false;
  int workers = 0;  // not counting abandoned ones
  std::atomic<int64_t> abandoned{0};
  std::atomic<int64_t> abandoned_running{0};
};

void PluginCallPool::StartWorker(const std::shared_ptr<Shared>& shared) {
  std::thread(Work, shared).detach();
}

void PluginCallPool::Work(std::shared_ptr<Shared> shared) {
  NameThisThread(shared->name.c_str());
  std::unique_lock lock(shared->mu);
  while (true) {
    shared->work.wait(lock, [&] { return shared->stopping || !shared->queue.empty(); });
    if (shared->queue.empty()) break;  // stopping
    std::shared_ptr<Call> call = std::move(shared->queue.front());
    shared->queue.pop_front();
    call->state = Call::State::kRunning;
    call->started = Clock::now();
    lock.unlock();
    try {
      call->fn();
    } catch (...) {
      // Plugin calls report failures in their outcome; nothing should
      // reach here, and if it does the caller sees no result.
      spdlog::error("{}: a plugin call threw past its wrapper", shared->name);
    }
    call->fn = nullptr;  // release what it captured on this thread
    lock.lock();
    if (call->state == Call::State::kAbandoned) {
      // A replacement took this worker's place when the call was abandoned.
      shared->abandoned_running.fetch_sub(1);
      AbandonedCallsRunning().fetch_sub(1);
      spdlog::warn(
          "{}: an abandoned plugin call returned after {} ms", shared->name,
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - call->started)
              .count());
      return;
    }
    call->state = Call::State::kDone;
    call->done.notify_one();
  }
  --shared->workers;
  shared->exited.notify_all();
}

PluginCallPool::PluginCallPool(std::string name, int threads)
    : shared_(std::make_shared<Shared>()) {
  shared_->name = std::move(name);
  shared_->workers = threads < 1 ? 1 : threads;
  for (int i = 0; i < shared_->workers; ++i) StartWorker(shared_);
}

PluginCallPool::~PluginCallPool() {
  std::unique_lock lock(shared_->mu);
  shared_->stopping = true;
  shared_->work.notify_all();
  shared_->exited.wait(lock, [&] { return shared_->workers == 0; });
}

bool PluginCallPool::Run(std::function<void()> call_fn, std::chrono::milliseconds timeout) {
  auto call = std::make_shared<Call>();
  call->fn = std::move(call_fn);
  std::unique_lock lock(shared_->mu);
  shared_->queue.push_back(call);
  shared_->work.notify_one();
  while (true) {
    if (call->state == Call::State::kDone) return true;
    if (timeout.count() <= 0) {
      call->done.wait(lock);
      continue;
    }
    // While queued, wake once per timeout to see whether it has started
    // (workers do not signal the start, to keep a call to one wake-up).
    const Clock::time_point deadline =
        call->state == Call::State::kRunning ? call->started + timeout : Clock::now() + timeout;
    if (call->done.wait_until(lock, deadline) == std::cv_status::no_timeout) continue;
    if (call->state != Call::State::kRunning || Clock::now() < call->started + timeout) continue;
    call->state = Call::State::kAbandoned;
    shared_->abandoned.fetch_add(1);
    shared_->abandoned_running.fetch_add(1);
    AbandonedCallsRunning().fetch_add(1);
    lock.unlock();
    StartWorker(shared_);  // replaces the worker stuck in the call
    spdlog::error(
        "{}: a plugin call still running after {} ms was abandoned (its thread is written off "
        "and replaced)",
        shared_->name, timeout.count());
    return false;
  }
}

int64_t PluginCallPool::abandoned() const { return shared_->abandoned.load(); }

int64_t PluginCallPool::abandoned_running() const { return shared_->abandoned_running.load(); }

}  // namespace triggerfish::server::plugins
