#pragma once

// Names the calling thread (at most 15 characters), so that top -H, perf
// and gdb tell the server's own threads from gRPC's.

#include <pthread.h>

namespace triggerfish::server {

inline void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace triggerfish::server
