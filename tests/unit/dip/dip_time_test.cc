#include "dip/dip_time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace diphub::dip {
namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace): calendar literals

Clock::time_point At(year_month_day date, hours h, minutes m, seconds s,
                     milliseconds ms = milliseconds(0)) {
  return time_point_cast<Clock::duration>(sys_days(date) + h + m + s + ms);
}

TEST(IsDipTimestampTest, AcceptsDt003WithOffsets) {
  EXPECT_TRUE(IsDipTimestamp("2025-08-11T09:30:00+01:00"));
  EXPECT_TRUE(IsDipTimestamp("2025-08-11T09:30:00+00:00"));
  EXPECT_TRUE(IsDipTimestamp("2025-12-31T23:59:59-05:30"));
  EXPECT_TRUE(IsDipTimestamp("2025-01-01T00:00:00+14:00"));
}

TEST(IsDipTimestampTest, RejectsOtherShapes) {
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00Z"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00.000Z"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01 00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00+0000"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00.5+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-1-01T00:00:00+00:00x"));
  EXPECT_FALSE(IsDipTimestamp("2025-0a-01T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp(""));
}

TEST(IsDipTimestampTest, RejectsImpossibleDatesAndTimes) {
  EXPECT_FALSE(IsDipTimestamp("2025-02-30T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-04-31T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-13-01T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-00-01T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-00T00:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T24:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T23:60:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T23:59:60+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00+15:00"));
  EXPECT_FALSE(IsDipTimestamp("2025-01-01T00:00:00+01:60"));
}

TEST(IsDipTimestampTest, LeapYears) {
  EXPECT_TRUE(IsDipTimestamp("2024-02-29T12:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("2023-02-29T12:00:00+00:00"));
  EXPECT_TRUE(IsDipTimestamp("2000-02-29T12:00:00+00:00"));
  EXPECT_FALSE(IsDipTimestamp("1900-02-29T12:00:00+00:00"));
  EXPECT_TRUE(IsDipTimestamp("2023-02-28T12:00:00+00:00"));
}

TEST(FormatTest, DipTimestampIsUtcDt003) {
  auto t = At(2025y / August / 11, hours(8), minutes(30), seconds(5), milliseconds(999));
  std::string s = FormatDipTimestamp(t);
  EXPECT_EQ(s, "2025-08-11T08:30:05+00:00");
  EXPECT_TRUE(IsDipTimestamp(s));
}

TEST(FormatTest, SignatureDateHasMillisecondsAndZ) {
  auto t = At(2025y / June / 27, hours(14), minutes(29), seconds(9), milliseconds(61));
  EXPECT_EQ(FormatSignatureDate(t), "2025-06-27T14:29:09.061Z");
  auto whole = At(2025y / June / 27, hours(0), minutes(0), seconds(0));
  EXPECT_EQ(FormatSignatureDate(whole), "2025-06-27T00:00:00.000Z");
}

TEST(FormatTest, YyyymmddIsUtcDate) {
  EXPECT_EQ(FormatYyyymmdd(
                At(2025y / August / 11, hours(23), minutes(59), seconds(59), milliseconds(999))),
            "20250811");
  EXPECT_EQ(FormatYyyymmdd(At(2024y / February / 29, hours(0), minutes(0), seconds(0))),
            "20240229");
}

TEST(FormatTest, NowFormatsAreWellFormed) {
  auto now = Clock::now();
  EXPECT_TRUE(IsDipTimestamp(FormatDipTimestamp(now)));
  std::string sig = FormatSignatureDate(now);
  ASSERT_EQ(sig.size(), 24u);
  EXPECT_EQ(sig[19], '.');
  EXPECT_EQ(sig.back(), 'Z');
  EXPECT_EQ(FormatYyyymmdd(now).size(), 8u);
}

TEST(FormatTest, EveryDayOfALeapYearRoundTripsThroughTheChecker) {
  sys_days day = 2024y / January / 1;
  for (int i = 0; i < 366; ++i, day += days(1)) {
    auto t = time_point_cast<Clock::duration>(day + hours(23) + minutes(59) + seconds(59));
    std::string s = FormatDipTimestamp(t);
    EXPECT_TRUE(IsDipTimestamp(s)) << s;
    EXPECT_EQ(FormatYyyymmdd(t), s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2));
  }
  EXPECT_EQ(FormatYyyymmdd(time_point_cast<Clock::duration>(day)), "20250101");
}

}  // namespace
}  // namespace diphub::dip

namespace diphub::dip {
namespace {

TEST(ParseSignatureDateMsTest, AcceptsTheDipFormsAndRejectsOthers) {
  EXPECT_EQ(ParseSignatureDateMs("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_EQ(ParseSignatureDateMs("1970-01-01T00:01:00Z"), 60000);
  EXPECT_EQ(ParseSignatureDateMs("2025-06-27T14:29:09.061Z"),
            ParseDipTimestampMs("2025-06-27T14:29:09+00:00") + 61);
  EXPECT_EQ(ParseSignatureDateMs("2025-06-27T14:29:09.061"), -1);    // no Z
  EXPECT_EQ(ParseSignatureDateMs("2025-06-27T14:29:09+00:00"), -1);  // DT-003, not a date header
  EXPECT_EQ(ParseSignatureDateMs("2025-13-27T14:29:09.061Z"), -1);   // month 13
  EXPECT_EQ(ParseSignatureDateMs("2025-06-27T24:29:09.061Z"), -1);   // hour 24
  EXPECT_EQ(ParseSignatureDateMs("2025-06-27T14:29:09.06xZ"), -1);
  EXPECT_EQ(ParseSignatureDateMs(""), -1);
  // An offset is applied when parsing DT-003 timestamps.
  EXPECT_EQ(ParseDipTimestampMs("2025-06-27T15:29:09+01:00"),
            ParseDipTimestampMs("2025-06-27T14:29:09+00:00"));
}

}  // namespace
}  // namespace diphub::dip
