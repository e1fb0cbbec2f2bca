// Clang thread-safety annotations (no-ops elsewhere), as in LevelDB's port/thread_annotations.h.
// Build with clang and -Wthread-safety to have them checked.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define TALLY_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TALLY_THREAD_ANNOTATION(x)
#endif

// absl's legacy headers define the same names (to the same attributes): ours win.
#undef GUARDED_BY
#undef PT_GUARDED_BY
#undef EXCLUSIVE_LOCKS_REQUIRED
#undef LOCKS_EXCLUDED
#undef LOCKABLE
#undef SCOPED_LOCKABLE
#undef EXCLUSIVE_LOCK_FUNCTION
#undef UNLOCK_FUNCTION
#undef NO_THREAD_SAFETY_ANALYSIS
#undef ASSERT_EXCLUSIVE_LOCK
#undef EXCLUSIVE_TRYLOCK_FUNCTION
#define GUARDED_BY(x) TALLY_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) TALLY_THREAD_ANNOTATION(pt_guarded_by(x))
#define EXCLUSIVE_LOCKS_REQUIRED(...) TALLY_THREAD_ANNOTATION(exclusive_locks_required(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) TALLY_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define LOCKABLE TALLY_THREAD_ANNOTATION(capability("mutex"))
#define SCOPED_LOCKABLE TALLY_THREAD_ANNOTATION(scoped_lockable)
#define EXCLUSIVE_LOCK_FUNCTION(...) TALLY_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define UNLOCK_FUNCTION(...) TALLY_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUSIVE_TRYLOCK_FUNCTION(...) TALLY_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS TALLY_THREAD_ANNOTATION(no_thread_safety_analysis)
#define ASSERT_EXCLUSIVE_LOCK(...) TALLY_THREAD_ANNOTATION(assert_capability(__VA_ARGS__))

namespace tally {

// A std::mutex that clang's analysis understands.
class LOCKABLE Mutex {
 public:
  void Lock() EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  // True if it took the mutex (never waits).
  bool TryLock() EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }
  void Unlock() UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis that the calling thread holds the mutex, where it was locked in a way the
  // analysis cannot follow (a set of shards chosen at run time, locked in index order). Checks
  // nothing at run time: the call site's comment says which lock holds it.
  void AssertHeld() const ASSERT_EXCLUSIVE_LOCK() {}
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// A condition variable used with a Mutex the caller holds (LevelDB's port::CondVar).
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // REQUIRES: the mutex held (not annotated: the analysis cannot tie this mu_ to the caller's
  // lock, as in LevelDB). Releases it while waiting; holds it again on return (wake-ups may be
  // spurious).
  void Wait() {
    std::unique_lock<std::mutex> l(mu_->native(), std::adopt_lock);
    cv_.wait(l);
    l.release();
  }
  // As Wait(), until `deadline` at the latest.
  template <typename Clock, typename Duration>
  void WaitUntil(const std::chrono::time_point<Clock, Duration>& deadline) {
    std::unique_lock<std::mutex> l(mu_->native(), std::adopt_lock);
    cv_.wait_until(l, deadline);
    l.release();
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

// Holds a Mutex for the scope.
class SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

}  // namespace tally
