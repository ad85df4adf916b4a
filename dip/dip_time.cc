#include "dip/dip_time.h"

#include <cstdio>
#include <ctime>

namespace diphub::dip {
namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Milliseconds since the epoch of a UTC calendar time.
std::int64_t UtcMs(int y, int mo, int d, int h, int mi, int sec) {
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&t)) * 1000;
}

std::tm UtcParts(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&tt, &parts);
  return parts;
}

}  // namespace

bool IsDipTimestamp(std::string_view s) {
  // 0123456789012345678901234
  // YYYY-MM-DDThh:mm:ss+hh:mm
  if (s.size() != 25) return false;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      (s[19] != '+' && s[19] != '-') || s[22] != ':') {
    return false;
  }
  int y, mo, d, h, mi, sec, oh, om;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &mo) || !Digits(s, 8, 2, &d) ||
      !Digits(s, 11, 2, &h) || !Digits(s, 14, 2, &mi) || !Digits(s, 17, 2, &sec) ||
      !Digits(s, 20, 2, &oh) || !Digits(s, 23, 2, &om)) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return false;
  int days = kDays[mo - 1] + ((mo == 2 && IsLeap(y)) ? 1 : 0);
  return d <= days && h <= 23 && mi <= 59 && sec <= 59 && oh <= 14 && om <= 59;
}

std::int64_t ParseDipTimestampMs(std::string_view s) {
  if (!IsDipTimestamp(s)) return -1;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
  Digits(s, 0, 4, &y);
  Digits(s, 5, 2, &mo);
  Digits(s, 8, 2, &d);
  Digits(s, 11, 2, &h);
  Digits(s, 14, 2, &mi);
  Digits(s, 17, 2, &sec);
  Digits(s, 20, 2, &oh);
  Digits(s, 23, 2, &om);
  std::int64_t offset = (oh * 3600 + om * 60) * (s[19] == '-' ? -1 : 1);
  return UtcMs(y, mo, d, h, mi, sec) - offset * 1000;
}

std::int64_t ParseSignatureDateMs(std::string_view s) {
  // YYYY-MM-DDThh:mm:ss[.fff]Z
  const bool with_ms = s.size() == 24 && s[19] == '.';
  if ((s.size() != 20 && !with_ms) || s.back() != 'Z' || s[4] != '-' || s[7] != '-' ||
      s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return -1;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &mo) || !Digits(s, 8, 2, &d) ||
      !Digits(s, 11, 2, &h) || !Digits(s, 14, 2, &mi) || !Digits(s, 17, 2, &sec) ||
      (with_ms && !Digits(s, 20, 3, &ms))) {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return -1;
  return UtcMs(y, mo, d, h, mi, sec) + ms;
}

std::string FormatDipTimestamp(Clock::time_point t) {
  std::tm p = UtcParts(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+00:00", p.tm_year + 1900,
                p.tm_mon + 1, p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec);
  return buf;
}

std::string FormatSignatureDate(Clock::time_point t) {
  std::tm p = UtcParts(t);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", p.tm_year + 1900,
                p.tm_mon + 1, p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string FormatYyyymmdd(Clock::time_point t) {
  std::tm p = UtcParts(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", p.tm_year + 1900, p.tm_mon + 1, p.tm_mday);
  return buf;
}

}  // namespace diphub::dip
