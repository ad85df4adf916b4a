#include "storage/message_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace diphub::storage {
namespace {

namespace fs = std::filesystem;

std::uint64_t Block(std::uint64_t n) {  // n rounded up to the writes' alignment
  return (n + MessageLog::kBlock - 1) / MessageLog::kBlock * MessageLog::kBlock;
}

class MessageLogTest : public ::testing::Test {
 protected:
  std::string Dir() const { return dir_.path() + "/message-log"; }
  std::string Segment(int n) const {
    char name[32];
    std::snprintf(name, sizeof name, "/%06d.msg", n);
    return Dir() + name;
  }

  std::unique_ptr<MessageLog> Open(std::uint64_t* cut = nullptr) {
    auto log = MessageLog::Open(Dir(), options_, cut);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  std::vector<LogPosition> Append(MessageLog& log, const std::vector<std::string>& payloads) {
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    auto appended = log.Append(views);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    if (!appended.ok()) return {};
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_EQ(appended.value().payloads[i], payloads[i]);  // the views of what was written
    }
    return appended.value().positions;
  }

  static std::string Read(const MessageLog& log, const LogPosition& p) {
    std::string out(p.size, '\0');
    dip::Status s = log.Read(p, out.data());
    return s.ok() ? out : "error: " + s.help();
  }

  testing::TempDir dir_;
  MessageLogOptions options_;
};

// The log writes with O_DIRECT wherever the file system takes it (the page-cache copy of
// buffered writes cost ~4.7 us a message), buffered only where it refuses (tmpfs): the same
// probe here decides what direct() must say, so a silent fall-back to buffered writes fails.
TEST_F(MessageLogTest, WritesWithODirectWhereTheFileSystemTakesIt) {
  auto log = Open();
  ASSERT_TRUE(log);
  const std::string probe = dir_.path() + "/odirect-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  const bool file_system_takes_it = fd >= 0;
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(log->direct(), file_system_takes_it);
  // Either way what is written reads back.
  std::vector<LogPosition> at = Append(*log, {"one", std::string(9000, 'y')});
  ASSERT_EQ(at.size(), 2u);
  EXPECT_EQ(Read(*log, at[1]), std::string(9000, 'y'));
}

TEST_F(MessageLogTest, AppendedPayloadsReadBackBeforeAndAfterAReopen) {
  std::vector<LogPosition> at;
  {
    auto log = Open();
    ASSERT_TRUE(log);
    at = Append(*log, {"first", std::string(5000, 'x'), ""});
    ASSERT_EQ(at.size(), 3u);
    EXPECT_EQ(at[0].segment, 1u);
    EXPECT_EQ(at[0].offset, MessageLog::kBlock + MessageLog::kFrameBytes);
    EXPECT_EQ(at[1].offset, at[0].End() + MessageLog::kFrameBytes);
    EXPECT_EQ(Read(*log, at[0]), "first");
    EXPECT_EQ(Read(*log, at[1]), std::string(5000, 'x'));
    EXPECT_EQ(Read(*log, at[2]), "");
    ASSERT_TRUE(log->Sync().ok());
    // The write was padded to whole blocks.
    EXPECT_EQ(log->End().offset, Block(at[2].End()));
    EXPECT_EQ(log->DiskBytes(), Block(at[2].End()));
    EXPECT_EQ(fs::file_size(Segment(1)), Block(at[2].End()));
  }
  std::uint64_t cut = 99;
  auto log = Open(&cut);
  ASSERT_TRUE(log);
  EXPECT_EQ(cut, 0u);
  EXPECT_EQ(log->End().offset, Block(at[2].End()));
  EXPECT_EQ(Read(*log, at[1]), std::string(5000, 'x'));
  std::vector<LogPosition> more = Append(*log, {"next"});
  EXPECT_EQ(more[0].offset, Block(at[2].End()) + MessageLog::kFrameBytes);
  EXPECT_EQ(Read(*log, more[0]), "next");
}

// A crash in the middle of a write leaves part of a record: the next open cuts it, keeps every
// whole record before it, and appends after them.
TEST_F(MessageLogTest, ATornRecordAtTheEndIsCutAtOpen) {
  std::vector<LogPosition> at;
  {
    auto log = Open();
    ASSERT_TRUE(log);
    at = Append(*log, {"one", "two", "three-is-longer"});
  }
  // Half of the last record survived.
  const std::uint64_t whole = at[1].End();
  fs::resize_file(Segment(1), at[2].offset + 4);
  std::uint64_t cut = 0;
  auto log = Open(&cut);
  ASSERT_TRUE(log);
  EXPECT_EQ(cut, at[2].offset + 4 - whole);
  EXPECT_EQ(fs::file_size(Segment(1)), Block(whole));  // cut, then zeros to the block's end
  EXPECT_EQ(Read(*log, at[1]), "two");
  std::vector<LogPosition> again = Append(*log, {"four"});
  EXPECT_EQ(again[0].offset, Block(whole) + MessageLog::kFrameBytes);
  log.reset();
  log = Open(&cut);  // the zeros after "two" are padding, not a torn record
  EXPECT_EQ(cut, 0u);
  EXPECT_EQ(Read(*log, again[0]), "four");
}

// A record whose bytes changed (a page that never reached the disk) fails its checksum: the
// open cuts from it on, and a read of it is refused.
TEST_F(MessageLogTest, ARecordThatFailsItsChecksumEndsTheLog) {
  std::vector<LogPosition> at;
  {
    auto log = Open();
    ASSERT_TRUE(log);
    at = Append(*log, {"alpha", "bravo", "charlie"});
  }
  {
    std::fstream f(Segment(1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at[1].offset + 2));
    f.put('X');
  }
  std::uint64_t cut = 0;
  auto log = Open(&cut);
  ASSERT_TRUE(log);
  EXPECT_EQ(cut, Block(at[2].End()) - at[0].End());
  EXPECT_EQ(fs::file_size(Segment(1)), Block(at[0].End()));
  EXPECT_EQ(Read(*log, at[0]), "alpha");
  EXPECT_EQ(Read(*log, at[1]).rfind("error: ", 0), 0u);
}

TEST_F(MessageLogTest, AnEmptyAppendWritesNothing) {
  auto log = Open();
  ASSERT_TRUE(log);
  auto appended = log->Append({});
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_TRUE(appended.value().positions.empty());
  EXPECT_EQ(log->End().offset, MessageLog::kBlock);
}

TEST_F(MessageLogTest, AReadAtTheWrongPlaceOrOfTheWrongSizeFailsItsCheck) {
  auto log = Open();
  ASSERT_TRUE(log);
  std::vector<LogPosition> at = Append(*log, {"0123456789", "abcdefghij"});
  LogPosition shifted = at[1];
  shifted.offset += 1;  // one byte off
  EXPECT_EQ(Read(*log, shifted).rfind("error: ", 0), 0u) << Read(*log, shifted);
  LogPosition shorter = at[1];
  shorter.size = 5;
  EXPECT_NE(Read(*log, shorter).find("corrupt"), std::string::npos) << Read(*log, shorter);
  LogPosition elsewhere = at[1];
  elsewhere.segment = 7;
  EXPECT_NE(Read(*log, elsewhere).find("000007.msg is missing"), std::string::npos);
}

// Full segments are closed and the next one begins; retention deletes whole segments, never
// the current one, and what was deleted can no longer be read.
TEST_F(MessageLogTest, SegmentsRollWhenFullAndOldOnesCanBeDropped) {
  options_.segment_bytes = 100;
  auto log = Open();
  ASSERT_TRUE(log);
  std::vector<LogPosition> at;
  for (int i = 0; i < 6; ++i) {
    std::vector<LogPosition> p = Append(*log, {std::string(40, static_cast<char>('a' + i))});
    at.push_back(p[0]);
  }
  // Each write is a block after the header's block: one per segment, as 100 bytes is full.
  EXPECT_EQ(at[0].segment, 1u);
  EXPECT_EQ(at[5].segment, 6u);
  EXPECT_TRUE(fs::exists(Segment(6)));
  // A batch bigger than a segment gets one of its own.
  std::vector<LogPosition> big = Append(*log, {std::string(300, 'z')});
  EXPECT_EQ(big[0].segment, 7u);
  log.reset();
  log = Open();
  ASSERT_TRUE(log);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Read(*log, at[i]), std::string(40, static_cast<char>('a' + i)));
  }
  const std::uint64_t before = log->DiskBytes();
  auto dropped = log->DropSegmentsBefore(4);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped.value(), 3u);
  EXPECT_FALSE(fs::exists(Segment(3)));
  EXPECT_TRUE(fs::exists(Segment(4)));
  EXPECT_EQ(log->DiskBytes(), before - 3 * 2 * MessageLog::kBlock);
  EXPECT_NE(Read(*log, at[0]).find("missing"), std::string::npos);
  EXPECT_EQ(Read(*log, at[3]), std::string(40, 'd'));
  auto all = log->DropSegmentsBefore(1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value(), 3u);  // 4, 5, 6: the current one (7) stays
  EXPECT_EQ(Read(*log, big[0]), std::string(300, 'z'));
}

// ReadMany reads runs of neighbouring records (across a write's padding too) with one pread
// each, and gives every payload back in the order asked, checked.
TEST_F(MessageLogTest, ReadManyGivesEveryPayloadInTheOrderAsked) {
  options_.segment_bytes = 3 * MessageLog::kBlock;
  auto log = Open();
  ASSERT_TRUE(log);
  std::vector<LogPosition> at;
  std::vector<std::string> want;
  for (int w = 0; w < 4; ++w) {  // four writes: two segments, padding between writes
    std::vector<std::string> batch;
    for (int k = 0; k < 3; ++k)
      batch.push_back(std::string(100 + 10 * k, static_cast<char>('a' + 3 * w + k)));
    std::vector<LogPosition> p = Append(*log, batch);
    at.insert(at.end(), p.begin(), p.end());
    want.insert(want.end(), batch.begin(), batch.end());
  }
  ASSERT_EQ(at.front().segment, 1u);
  ASSERT_EQ(at.back().segment, 2u);
  std::vector<LogPosition> asked = at;
  asked.push_back(at[1]);  // out of order and repeated
  std::string buffer;
  std::vector<std::string_view> got;
  ASSERT_TRUE(log->ReadMany(asked, &buffer, &got).ok());
  ASSERT_EQ(got.size(), asked.size());
  for (std::size_t i = 0; i < at.size(); ++i) EXPECT_EQ(got[i], want[i]) << i;
  EXPECT_EQ(got.back(), want[1]);
  LogPosition wrong = at[4];
  wrong.size -= 1;
  std::vector<LogPosition> bad = {at[3], wrong};
  dip::Status s = log->ReadMany(bad, &buffer, &got);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.help().find("corrupt"), std::string::npos) << s.ToString();
}

TEST_F(MessageLogTest, TruncateCurrentCutsRecordsNobodyRefersTo) {
  auto log = Open();
  ASSERT_TRUE(log);
  std::vector<LogPosition> at = Append(*log, {"keep", "drop", "drop too"});
  ASSERT_TRUE(log->TruncateCurrent(at[0].End()).ok());
  EXPECT_EQ(log->End().offset, Block(at[0].End()));
  EXPECT_EQ(fs::file_size(Segment(1)), Block(at[0].End()));
  EXPECT_NE(Read(*log, at[1]), "drop");                             // zeros now
  EXPECT_FALSE(log->TruncateCurrent(Block(at[0].End()) + 1).ok());  // past the end
  std::vector<LogPosition> next = Append(*log, {"new"});
  EXPECT_EQ(next[0].offset, Block(at[0].End()) + MessageLog::kFrameBytes);
  EXPECT_EQ(Read(*log, next[0]), "new");
  EXPECT_EQ(Read(*log, at[0]), "keep");
}

TEST_F(MessageLogTest, AFileThatIsNotASegmentIsRefusedByName) {
  fs::create_directories(Dir());
  std::ofstream(Segment(1)) << "this is not a diphub message log segment";
  auto log = MessageLog::Open(Dir(), options_);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().help().find("000001.msg is not a segment of a diphub message log"),
            std::string::npos)
      << log.status().ToString();
}

// A segment created just before a crash, whose header never reached the disk, is begun again.
TEST_F(MessageLogTest, ALastSegmentWithoutItsHeaderIsBegunAgain) {
  options_.segment_bytes = 64;
  {
    auto log = Open();
    ASSERT_TRUE(log);
    Append(*log, {std::string(40, 'a')});
  }
  std::ofstream(Segment(2)).close();  // empty: created, header lost
  auto log = Open();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->End().segment, 2u);
  EXPECT_EQ(log->End().offset, MessageLog::kBlock);
  std::vector<LogPosition> at = Append(*log, {"b"});
  EXPECT_EQ(at[0].segment, 2u);
  EXPECT_EQ(Read(*log, at[0]), "b");
}

}  // namespace
}  // namespace diphub::storage
