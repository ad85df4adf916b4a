// Small ASCII helpers shared by the protocol code. JSON field names and URL paths are matched
// case-insensitively on ingress (the DIP's rule); values stay case-sensitive.
#pragma once

#include <string>
#include <string_view>

namespace diphub::dip {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Names are mostly sent in the spec's case: equal bytes need no lowering.
    if (a[i] != b[i] && AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Printable ASCII (0x20-0x7e), plus \n and \r when `newlines`; spaces too unless `no_spaces`.
inline bool IsPrintableAscii(std::string_view s, bool newlines = false, bool no_spaces = false) {
  for (unsigned char c : s) {
    bool ok = (c > 0x20 && c < 0x7f) || (c == ' ' && !no_spaces) ||
              (newlines && (c == '\n' || c == '\r'));
    if (!ok) return false;
  }
  return true;
}

inline std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace diphub::dip
