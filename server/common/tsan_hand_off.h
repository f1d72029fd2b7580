#pragma once

// Declares to ThreadSanitizer an order that gRPC guarantees but TSan cannot
// see. Debian's gRPC is not instrumented: it runs a reactor's callbacks on
// different threads, one after another, ordered by its own locks and
// completion queues, which TSan does not observe. A callback reactor calls
// HandOffRelease(this) when it hands itself back to gRPC (at the end of its
// constructor and of each callback) and HandOffAcquire(this) when gRPC hands
// it a callback, so that TSan orders the callbacks as gRPC does while still
// checking every access against the threads of our own (the group committer's
// reply thread, outbox workers). Both are no-ops unless the build is the tsan
// preset (TRIGGERFISH_TSAN, see CMakeLists.txt).

#ifdef TRIGGERFISH_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace triggerfish::server {

inline void HandOffAcquire([[maybe_unused]] void* object) {
#ifdef TRIGGERFISH_TSAN
  __tsan_acquire(object);
#endif
}

inline void HandOffRelease([[maybe_unused]] void* object) {
#ifdef TRIGGERFISH_TSAN
  __tsan_release(object);
#endif
}

}  // namespace triggerfish::server
