#pragma once

// A thread that calls plugins directly, with someone watching over it who
// can write the thread off when a call outlives its timeout.
//
// The event pipeline's cycle workers are such threads: a hung inline action
// costs the worker (replaced at once) and the event's run (started again
// without that action), never the tenant. Code that calls a plugin asks
// CallWatch::Current(): on a watched thread it brackets the call with
// Begin/End; elsewhere it must protect itself (PluginCallPool).
//
//   if (CallWatch* watch = CallWatch::Current()) {
//     if (!watch->Begin(timeout, rule_id, index, type)) return Abandoned();
//     outcome = host.Execute(type, request);
//     if (!watch->End()) return Abandoned();  // written off meanwhile
//   }

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace triggerfish::server::plugins {

class CallWatch {
 public:
  virtual ~CallWatch() = default;

  // Before a plugin call that may take up to `timeout`: the watcher writes
  // the thread off if End has not been called by then. `rule_id`,
  // `action_index` and `action_type` name the call. False when the thread
  // was already written off: don't call the plugin, unwind.
  virtual bool Begin(std::chrono::milliseconds timeout, std::string_view rule_id, int action_index,
                     std::string_view action_type) = 0;
  // After the call returned. False when the thread was written off while
  // the call ran: its work belongs to someone else now, so whatever the
  // thread goes on to do must have no effect (the owner of the thread makes
  // sure of that) and the thread should leave as soon as it can.
  virtual bool End() = 0;
  // True once the thread has been written off: skip any further plugin
  // work (and the objects it would touch) and unwind.
  virtual bool written_off() = 0;

  // The calling thread's watch, or null when nobody watches it.
  static CallWatch* Current() { return current_; }
  // Installs `watch` for the calling thread (null removes it).
  static void SetCurrent(CallWatch* watch) { current_ = watch; }

 private:
  static inline thread_local CallWatch* current_ = nullptr;
};

// Plugin calls abandoned and not yet returned, in the whole process. While
// it is not zero a thread may still come back from a plugin into the
// server's objects, so an orderly teardown is not safe (triggerfishd exits
// without one; everything acknowledged is committed by then).
inline std::atomic<int64_t>& AbandonedCallsRunning() {
  static std::atomic<int64_t> running{0};
  return running;
}

// How an inline action whose call was abandoned after `timeout` fails.
inline std::string AbandonedCallMessage(std::chrono::milliseconds timeout) {
  return "timed out after " + std::to_string(timeout.count()) +
         " ms; the call was abandoned (the plugin did not return)";
}

}  // namespace triggerfish::server::plugins
