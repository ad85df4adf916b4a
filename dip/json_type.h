// Small On-Demand helpers shared by the envelope parser and the schema walk: what a JSON value
// is, in words for error texts ("an array", "an object", ...), and reading keys and strings
// without copying them when they hold no escape (the usual case for DIP messages).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace diphub::dip {

std::string_view JsonTypeName(simdjson::ondemand::json_type t);

// The first '"' or '\\' at or after `p`, eight bytes at a time. REQUIRES: one of them occurs
// before the end of the parser's input: the eight-byte reads may then run past it by at most
// seven bytes, which the input's padding (SIMDJSON_PADDING) holds.
inline const char* QuoteOrBackslash(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u, kHighs = 0x8080808080808080u;
  constexpr std::uint64_t kQuotes = kOnes * '"', kBackslashes = kOnes * '\\';
  for (;; p += 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t q = w ^ kQuotes, b = w ^ kBackslashes;
    // A zero byte of q or b (the classic "has a zero byte" test; exact for the lowest one).
    const std::uint64_t hit = ((q - kOnes) & ~q & kHighs) | ((b - kOnes) & ~b & kHighs);
    if (hit != 0) return p + (__builtin_ctzll(hit) >> 3);
  }
}

// The key of `f` as sent (a view into the input) when it holds no escape; false, with `out`
// holding the part before the first escape, when it does.
inline bool RawKey(simdjson::ondemand::field& f, std::string_view* out) {
  const char* start = f.key().raw();
  // Stage 1 found the closing quote, so this stops inside the input.
  const char* p = QuoteOrBackslash(start);
  *out = std::string_view(start, static_cast<std::size_t>(p - start));
  return *p == '"';
}

// The key of `f` as sent when it holds no escape (a view into the input), else unescaped into
// the parser's string buffer. Either way valid until the parser's next document.
inline simdjson::error_code KeyOf(simdjson::ondemand::field& f, std::string_view* out) {
  if (RawKey(f, out)) return simdjson::SUCCESS;
  return f.unescaped_key().get(*out);
}

// The string `v` as sent when it holds no escape (a view into the input), else unescaped as
// get_string() does. Consumes `v`. REQUIRES: `v` is a string (v.type() said so). Stage 1
// already refused unescaped control characters, so the two ways accept the same input.
inline simdjson::error_code StringOf(simdjson::ondemand::value& v, std::string_view* out) {
  const char* start = v.raw_json_token().data() + 1;  // after the opening quote
  // Stage 1 found the closing quote, so this stops inside the input.
  const char* p = QuoteOrBackslash(start);
  if (*p == '\\') return v.get_string().get(*out);
  simdjson::ondemand::raw_json_string raw;
  if (auto e = v.get_raw_json_string().get(raw)) return e;
  *out = std::string_view(start, static_cast<std::size_t>(p - start));
  return simdjson::SUCCESS;
}

}  // namespace diphub::dip
