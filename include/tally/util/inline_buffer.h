// InlineBuffer<T, N>: n default-constructed Ts, stored inside the object when n <= N and on the
// heap otherwise. For per-call scratch space on hot paths where n is almost always small (the
// keys of one command), so that the common case allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace tally {

template <typename T, size_t N>
class InlineBuffer {
 public:
  explicit InlineBuffer(size_t n) : size_(n) {
    if (n > N) heap_.resize(n);
  }
  InlineBuffer(const InlineBuffer&) = delete;
  InlineBuffer& operator=(const InlineBuffer&) = delete;

  T* data() { return size_ > N ? heap_.data() : inline_.data(); }
  const T* data() const { return size_ > N ? heap_.data() : inline_.data(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  std::span<T> span() { return {data(), size_}; }

 private:
  size_t size_;
  std::array<T, N> inline_{};
  std::vector<T> heap_;
};

}  // namespace tally
