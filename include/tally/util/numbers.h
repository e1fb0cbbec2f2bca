// Number parsing and formatting with Redis 7's exact rules (util.c in Redis).
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

// Redis string2ll: accepts only "0" or -?[1-9][0-9]* within int64 range and shorter than 21
// bytes. No spaces, no '+', no leading zeros, no "-0". Returns nullopt otherwise.
std::optional<int64_t> ParseInt64(std::string_view s);

// Redis string2ld: strtold over the whole input. Rejects empty input, leading whitespace,
// trailing bytes (including an embedded NUL), NaN, and overflow to +-HUGE_VAL. Accepts '+',
// exponents, hex floats and "inf". Inputs longer than kMaxLongDoubleChars are rejected.
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;
std::optional<long double> ParseLongDouble(std::string_view s);

// Redis ld2string in LD_STR_HUMAN mode: "%.17Lf" with trailing zeros (and a trailing '.')
// removed and "-0" written as "0". REQUIRES: value is finite.
std::string FormatLongDouble(long double value);

// Decimal form of an integer, as Redis writes it.
std::string FormatInt64(int64_t value);

// Redis memtoll: "1gb", "512mb", "64k", "100" (bytes). Units are case-insensitive; k/m/g are
// powers of 1000 and kb/mb/gb powers of 1024. Returns nullopt on a malformed value.
std::optional<int64_t> ParseMemory(std::string_view s);

}  // namespace tally
