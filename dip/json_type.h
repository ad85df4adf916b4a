// Small On-Demand helpers shared by the envelope parser and the schema walk: what a JSON value
// is, in words for error texts ("an array", "an object", ...), and reading keys and strings
// without copying them when they hold no escape (the usual case for DIP messages).
#pragma once

#include <simdjson.h>

#include <string_view>

namespace diphub::dip {

std::string_view JsonTypeName(simdjson::ondemand::json_type t);

// The key of `f` as sent (a view into the input) when it holds no escape; false, with `out`
// holding the part before the first escape, when it does.
inline bool RawKey(simdjson::ondemand::field& f, std::string_view* out) {
  const char* start = f.key().raw();
  // Stage 1 found the closing quote, so this stops inside the input.
  const char* p = start;
  while (*p != '"' && *p != '\\') ++p;
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
  const char* p = start;
  while (*p != '"' && *p != '\\') ++p;
  if (*p == '\\') return v.get_string().get(*out);
  simdjson::ondemand::raw_json_string raw;
  if (auto e = v.get_raw_json_string().get(raw)) return e;
  *out = std::string_view(start, static_cast<std::size_t>(p - start));
  return simdjson::SUCCESS;
}

}  // namespace diphub::dip
