#include "storage/records.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "storage/codec.h"

namespace diphub::storage {
namespace {

TEST(CodecTest, Fixed64BigEndianRoundTripAndOrder) {
  for (std::uint64_t v :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{256},
        std::uint64_t{0x0102030405060708}, std::numeric_limits<std::uint64_t>::max()}) {
    std::string buf;
    PutFixed64BE(&buf, v);
    ASSERT_EQ(buf.size(), 8u);
    EXPECT_EQ(DecodeFixed64BE(buf.data()), v);
    std::string_view in = buf;
    std::uint64_t out = 0;
    ASSERT_TRUE(GetFixed64BE(&in, &out));
    EXPECT_EQ(out, v);
    EXPECT_TRUE(in.empty());
  }
  std::string a, b;
  PutFixed64BE(&a, 255);
  PutFixed64BE(&b, 256);
  EXPECT_LT(a, b);  // keys sort numerically
  std::string_view short_in = std::string_view(a).substr(0, 7);
  std::uint64_t v = 0;
  EXPECT_FALSE(GetFixed64BE(&short_in, &v));
}

TEST(CodecTest, Varint32RoundTrip) {
  for (std::uint32_t v : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 0xFFFFFFFFu}) {
    std::string buf;
    PutVarint32(&buf, v);
    buf += "rest";
    std::string_view in = buf;
    std::uint32_t out = 0;
    ASSERT_TRUE(GetVarint32(&in, &out)) << v;
    EXPECT_EQ(out, v);
    EXPECT_EQ(in, "rest");
  }
  std::string one;
  PutVarint32(&one, 127);
  EXPECT_EQ(one.size(), 1u);
}

TEST(CodecTest, TruncatedVarintFails) {
  std::string buf;
  PutVarint32(&buf, 300);
  std::string_view in = std::string_view(buf).substr(0, 1);
  std::uint32_t v = 0;
  EXPECT_FALSE(GetVarint32(&in, &v));
  std::string_view empty;
  EXPECT_FALSE(GetVarint32(&empty, &v));
}

TEST(CodecTest, LengthPrefixedRoundTripAndTruncation) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, std::string(200, 'x'));
  std::string_view in = buf, s;
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "hello");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, std::string(200, 'x'));
  EXPECT_TRUE(in.empty());

  std::string_view cut = std::string_view(buf).substr(0, 4);  // "hello" needs 6 bytes
  EXPECT_FALSE(GetLengthPrefixed(&cut, &s));
}

MessageRecord Sample() {
  MessageRecord r;
  r.transaction_id = "T-IF-061-1100000001-SDS-20250811-0000000000000001";
  r.transaction_timestamp = "2025-08-11T08:30:00+00:00";
  r.interface_id = "IF-061";
  r.sender_dip_id = "1100000001";
  r.sender_role = "SDS";
  r.sender_unique_reference = "REF-1";
  r.correlation_id = "CI-1";
  r.primary_recipients = {"1200000001", "1300000001"};
  r.recipients = {"1200000001", "1300000001", "1400000001"};
  r.raw = std::string("{\"payload\":{}}\0binary\xff", 22);
  return r;
}

void ExpectSame(const MessageRecord& a, const MessageRecord& b) {
  EXPECT_EQ(a.transaction_id, b.transaction_id);
  EXPECT_EQ(a.transaction_timestamp, b.transaction_timestamp);
  EXPECT_EQ(a.interface_id, b.interface_id);
  EXPECT_EQ(a.sender_dip_id, b.sender_dip_id);
  EXPECT_EQ(a.sender_role, b.sender_role);
  EXPECT_EQ(a.sender_unique_reference, b.sender_unique_reference);
  EXPECT_EQ(a.correlation_id, b.correlation_id);
  EXPECT_EQ(a.primary_recipients, b.primary_recipients);
  EXPECT_EQ(a.recipients, b.recipients);
  EXPECT_EQ(a.raw, b.raw);
}

TEST(MessageRecordTest, EncodeDecodeRoundTrip) {
  MessageRecord r = Sample();
  dip::Result<MessageRecord> back = DecodeMessage(42, EncodeMessage(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back.value().seq, 42u);
  ExpectSame(back.value(), r);
}

TEST(MessageRecordTest, SecondaryAndAlwaysRoundTripAndFormat3StillDecodes) {
  MessageRecord r = Sample();
  r.secondary_recipients = {"1300000001"};
  r.always_recipients = {"1400000001"};
  dip::Result<MessageRecord> back = DecodeMessage(7, EncodeMessage(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back.value().secondary_recipients, r.secondary_recipients);
  EXPECT_EQ(back.value().always_recipients, r.always_recipients);

  // A message stored by the previous version (format 3): no secondary/always lists at the end.
  MessageRecord old = Sample();
  std::string bytes = EncodeMessage(old);
  ASSERT_EQ(bytes.substr(bytes.size() - 2), std::string("\0\0", 2));  // two empty lists
  bytes.resize(bytes.size() - 2);
  bytes[0] = 3;
  back = DecodeMessage(8, bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(back.value(), old);
  EXPECT_TRUE(back.value().secondary_recipients.empty());
}

TEST(MessageRecordTest, AbsentAndEmptyCorrelationIdStayDistinct) {
  MessageRecord none = Sample();
  none.correlation_id.reset();
  none.primary_recipients.clear();
  dip::Result<MessageRecord> a = DecodeMessage(1, EncodeMessage(none));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a.value().correlation_id.has_value());
  EXPECT_TRUE(a.value().primary_recipients.empty());

  MessageRecord empty = Sample();
  empty.correlation_id = "";
  dip::Result<MessageRecord> b = DecodeMessage(1, EncodeMessage(empty));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().correlation_id, std::optional<std::string>(""));
}

TEST(MessageRecordTest, CorruptInputIsAnError) {
  std::string good = EncodeMessage(Sample());
  EXPECT_FALSE(DecodeMessage(7, "").ok());
  std::string wrong_format = good;
  wrong_format[0] = 9;
  EXPECT_FALSE(DecodeMessage(7, wrong_format).ok());
  for (std::size_t cut = 1; cut < good.size(); cut += 3) {
    dip::Result<MessageRecord> r = DecodeMessage(7, std::string_view(good).substr(0, cut));
    EXPECT_FALSE(r.ok()) << "truncated at " << cut;
  }
  dip::Result<MessageRecord> r = DecodeMessage(7,
                                               "\x01\x7f"
                                               "abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), dip::Status::kIoCode);
  EXPECT_NE(r.status().help().find("7"), std::string::npos);
}

TEST(OutboundStatusTest, NamesAsTheDipNamesThem) {
  EXPECT_EQ(OutboundStatusName(OutboundStatus::kDelivered), "Delivered");
  EXPECT_EQ(OutboundStatusName(OutboundStatus::kRetriesExhausted), "RetriesExhausted");
  EXPECT_EQ(OutboundStatusName(OutboundStatus::kRejectedByRecipient), "RejectedByRecipient");
}

}  // namespace
}  // namespace diphub::storage
