// Default sanitizer options, linked into every executable of the sanitized build
// (TALLY_SANITIZE), so that tallyd and the tests behave the same however they are started.
// alloc_dealloc_mismatch: Asio 1.22's recycling allocator frees aligned_alloc'ed coroutine
// frames with operator delete. detect_container_overflow: RocksDB and its libstdc++ containers
// are not instrumented. The environment's ASAN_OPTIONS/UBSAN_OPTIONS still override these.
extern "C" const char* __asan_default_options() {
  return "detect_container_overflow=0:alloc_dealloc_mismatch=0";
}
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }
