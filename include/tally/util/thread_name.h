// Names the calling thread (at most 15 characters), so that top -H, perf and gdb tell tallyd's
// threads apart.
#pragma once

#include <pthread.h>

namespace tally {

inline void SetThreadName(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace tally
