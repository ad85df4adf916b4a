#include "bench/load/messages.h"

#include <array>
#include <cstdio>
#include <cstring>

namespace diphub::load {
namespace {

constexpr std::string_view kReferenceDay = "20261122";  // in every reference; any 8 digits do

std::string Id(const char* prefix, std::size_t pair) {
  char buf[32];  // room for any size_t: GCC checks that when the unity build inlines callers
  std::snprintf(buf, sizeof buf, "%s%08zu", prefix, pair + 1);
  return buf;
}

// The text of period p (0-based) of `day` up to its value: ',' (after the first), then
// {"sp":"<day>T<end>+00:00","v":". Period p ends at 00:30 + p * 30 min; the last one at 24:00
// is the next day's 00:00, which a consumption file writes as 23:59:59 of the day to stay inside
// it.
const std::array<std::string, 48>& PeriodOpenings(std::string_view day) {
  thread_local std::string cached_day;
  thread_local std::array<std::string, 48> openings;
  if (cached_day == day && !openings[0].empty()) return openings;
  cached_day.assign(day);
  auto two = [](std::string& o, int v) {
    o += static_cast<char>('0' + v / 10);
    o += static_cast<char>('0' + v % 10);
  };
  for (int p = 0; p < 48; ++p) {
    std::string& o = openings[static_cast<std::size_t>(p)];
    o.clear();
    const int end = (p + 1) * 30;
    if (p) o += ',';
    o += R"({"sp":")";
    o += day;
    o += 'T';
    two(o, p == 47 ? 23 : end / 60);
    o += ':';
    two(o, p == 47 ? 59 : end % 60);
    o += ':';
    two(o, p == 47 ? 59 : 0);
    o += R"(+00:00","v":")";
  }
  return openings;
}

}  // namespace

std::string SdsId(std::size_t pair) { return Id("11", pair); }
std::string MdrId(std::size_t pair) { return Id("12", pair); }

std::string MpanCore(std::uint64_t index) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "2%012llu", static_cast<unsigned long long>(index));
  return buf;
}

void AppendConsumption(const ConsumptionFields& f, std::string* out) {
  std::string& o = *out;
  o += R"({"payload":{"CommonBlock":{"S0":{"interfaceID":"IF-064","schemaVersion":"011",)";
  o += R"("eventCode":"[MDRConsumption]"},"S1":{"environmentTag":"DEV","subText":null,)";
  o += R"("senderUniqueReference":"S-IF-064-)";
  o += f.mdr;
  o += "-MDR-";
  o += kReferenceDay;
  o += "-L";
  o += std::to_string(f.sequence);
  o += R"(","senderTimestamp":")";
  o += f.stamp;
  o += R"(","senderDIPID":")";
  o += f.mdr;
  o += R"(","senderRoleID":"MDR","senderCorrelationID":null,"DIPConnectionProviderID":null},)";
  o += R"("A0":{"primaryRecipients":[")";
  o += f.sds;
  o += R"("],"secondaryRecipients":[],"always":[]},"M0":{"MPANCore":")";
  o += f.mpan;
  o += R"(","distributorDIPID":"1500000001","GSPGroupID":"_A"}},)";
  o += R"("CustomBlock":{"B045":{"measurementQuantityID":"AI"},"B941List":[{"settlementDay":)";
  o += R"({"settlementDayDate":")";
  o += f.day;
  o += R"(T00:00:00+00:00","periodDuration":30},"MDRConsumptionPeriods":[)";
  // Everything of a period but its value is the same for every message of a settlement day, so
  // those texts are made once per day (per thread) and each message only writes the 48 values:
  // building the messages is the generator's CPU, taken from the hub under test.
  const std::array<std::string, 48>& openings = PeriodOpenings(f.day);
  for (int p = 0; p < 48; ++p) {
    const unsigned value = static_cast<unsigned>((f.sequence * 7919 + p * 104729) % 99999);
    o += openings[static_cast<std::size_t>(p)];
    // "dd.ddd" without leading zeros in the whole part: value / 1000 is at most 99.
    char v[16];
    std::size_t n = 0;
    const unsigned whole = value / 1000, frac = value % 1000;
    if (whole >= 10) v[n++] = static_cast<char>('0' + whole / 10);
    v[n++] = static_cast<char>('0' + whole % 10);
    v[n++] = '.';
    v[n++] = static_cast<char>('0' + frac / 100);
    v[n++] = static_cast<char>('0' + frac / 10 % 10);
    v[n++] = static_cast<char>('0' + frac % 10);
    o.append(v, n);
    o += R"(","q":"A"})";
  }
  o += "]}]}}}";
}

std::int64_t SequenceOfReference(std::string_view reference) {
  const std::size_t dash = reference.rfind("-L");
  if (dash == std::string_view::npos || dash + 2 >= reference.size()) return -1;
  std::int64_t v = 0;
  for (char c : reference.substr(dash + 2)) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::size_t FindReferenceKey(std::string_view body, std::size_t from) {
  if (from >= body.size()) return std::string_view::npos;
  const void* hit =
      ::memmem(body.data() + from, body.size() - from, kReferenceKey.data(), kReferenceKey.size());
  return hit == nullptr ? std::string_view::npos
                        : static_cast<std::size_t>(static_cast<const char*>(hit) - body.data());
}

std::int64_t SequenceAtKey(std::string_view body, std::size_t at, std::size_t* end) {
  *end = std::string_view::npos;
  const std::size_t open = body.find('"', at + kReferenceKey.size());
  if (open == std::string_view::npos) return -1;
  const std::size_t close = body.find('"', open + 1);
  if (close == std::string_view::npos) return -1;
  *end = close + 1;
  return SequenceOfReference(body.substr(open + 1, close - open - 1));
}

std::int64_t DeliveredSequence(std::string_view message) {
  const std::size_t at = FindReferenceKey(message, 0);
  if (at == std::string_view::npos) return -1;
  std::size_t end;
  return SequenceAtKey(message, at, &end);
}

}  // namespace diphub::load
