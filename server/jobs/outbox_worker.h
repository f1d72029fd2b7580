#pragma once

// Runs deferred actions (the outbox): a pool of threads claims due
// executions from the store with a lease, runs each through its plugin with
// a timeout, and records every attempt. RETRYABLE failures are retried with
// exponential backoff and full jitter until max_attempts; PERMANENT failures
// and the last failed attempt make the execution DEAD. Every attempt of one
// execution carries the same operation id, so a plugin can deduplicate side
// effects (delivery is at least once). An attempt is counted in the store
// before the plugin is called, so an action that crashes the process uses
// up its attempts across restarts and then goes DEAD (no crash loop).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/actions/host_api.h"
#include "server/plugins/plugin_call_pool.h"
#include "server/plugins/plugin_host.h"
#include "server/store/store.h"

namespace triggerfish::server::observability {
class Metrics;
}

namespace triggerfish::server::jobs {

struct OutboxOptions {
  int threads = 4;
  int max_attempts = 5;
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{60000};
  // Per attempt; an attempt still running then is abandoned and counted as
  // a RETRYABLE failure.
  std::chrono::milliseconds action_timeout{30000};
  // How long a claimed execution stays leased (longer than action_timeout).
  std::chrono::milliseconds lease{60000};
  // How often idle workers look for due executions.
  std::chrono::milliseconds poll_interval{200};
  // Attempts are counted and timed here when set; must outlive the workers.
  observability::Metrics* metrics = nullptr;
};

class OutboxWorkers {
 public:
  // `store` and `host` must outlive the workers.
  OutboxWorkers(store::Store* store, const plugins::PluginHost* host,
                const actions::HostServices* services, OutboxOptions options);
  // Stops: attempts in progress finish (or time out) first.
  ~OutboxWorkers();

  // Wakes the workers (new executions were queued).
  void Notify();

  // Backoff before attempt `next_attempt` (2, 3, ...), before jitter.
  static std::chrono::milliseconds Backoff(const OutboxOptions& options, int next_attempt);

 private:
  void Loop();
  void RunOne(const store::ExecutionRow& row);
  // Makes `row` DEAD without calling its plugin: its retry budget was spent
  // by attempts that never finished.
  void GiveUpInterrupted(const store::ExecutionRow& row);

  store::Store* store_;
  const plugins::PluginHost* host_;
  const actions::HostServices* services_;
  OutboxOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t wakeups_ = 0;
  // Runs the plugin calls, one worker per outbox thread (each waits for its
  // call); a hung call is abandoned there and its worker replaced.
  std::unique_ptr<plugins::PluginCallPool> calls_;
  std::vector<std::thread> threads_;
};

}  // namespace triggerfish::server::jobs
