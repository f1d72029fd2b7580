#pragma once

// Runs plugin calls on worker threads that their caller can walk away from.
// A plugin is third-party code: it may block forever, and a thread that is
// inside it cannot be stopped. So callers whose thread matters and that
// nobody watches over (dry runs on gRPC threads, the outbox workers) never
// call a plugin on their own thread; they hand the call to this pool and
// wait for it at most the call's timeout (the event pipeline's cycle
// workers call plugins directly under a CallWatch instead). A call still running then is abandoned:
// its worker is written off (it exits when the plugin returns, if ever) and a fresh one takes its
// place, so the pool keeps its size and its callers go on.
//
//   PluginCallPool pool("tf-inline", 4);
//   auto outcome = std::make_shared<ExecuteOutcome>();
//   if (!pool.Run([outcome, ...] { *outcome = host.Execute(...); }, timeout)) {
//     // Timed out: `outcome` may still be written later; don't read it.
//   }
//
// The timeout runs from the moment a worker starts the call, so a call that
// waited for a free worker is not charged for the wait. What an abandoned
// call touches must stay valid until it returns: capture it by shared_ptr,
// and revoke access to anything its caller owns (see tf_exec_ctx).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace triggerfish::server::plugins {

class PluginCallPool {
 public:
  // Starts `threads` (>= 1) workers named `name` (at most 15 characters).
  PluginCallPool(std::string name, int threads);
  PluginCallPool(const PluginCallPool&) = delete;
  PluginCallPool& operator=(const PluginCallPool&) = delete;
  // Lets the workers finish the calls they are running and joins them.
  // Abandoned workers are not waited for. No Run may be in progress.
  ~PluginCallPool();

  // Runs `call` on a worker and blocks until it returns (true) or it has
  // run for `timeout` (false: abandoned). A zero or negative timeout waits
  // for as long as the call takes. Thread-safe.
  bool Run(std::function<void()> call, std::chrono::milliseconds timeout);

  // Calls abandoned so far, and how many of them are still running.
  int64_t abandoned() const;
  int64_t abandoned_running() const;

 private:
  struct Shared;
  static void StartWorker(const std::shared_ptr<Shared>& shared);
  static void Work(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
};

}  // namespace triggerfish::server::plugins
