// A data dir written by the format-4 store (tests/data/store-format-4) under a real diphub:
// the hub converts it at start, delivers what was pending (in seq order, the requeued one as a
// replay), and answers journal, dead-letter, replay and duplicate checks from the converted data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using namespace demo;

std::string FixtureRef(int i) { return "S-IF-061-1100000001-SDS-20261122-fx" + std::to_string(i); }

TEST(StoreMigration, HubStartsOnAFormat4DataDirAndDeliversWhatWasPending) {
  TempDir dir;
  std::filesystem::copy(std::filesystem::path(DIPHUB_SOURCE_DIR) / "tests/data/store-format-4",
                        dir.File("data"), std::filesystem::copy_options::recursive);
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  // Pending for the MDR: the requeued message 2 (a replay), then 5..8, each once, in order.
  std::vector<adapters::http::SinkDelivery> got = sink.WaitFor(1, 10s);
  std::string all;
  for (int tries = 0; tries < 100; ++tries) {
    all.clear();
    for (const auto& d : sink.WaitFor(1, 1s)) all += d.body;
    if (all.find(FixtureRef(8)) != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  std::vector<std::size_t> at;
  for (int i : {2, 5, 6, 7, 8}) {
    std::size_t pos = all.find("\"senderUniqueReference\":\"" + FixtureRef(i) + "\"");
    ASSERT_NE(pos, std::string::npos) << "message " << i << " not delivered: " << all << hub.Log();
    at.push_back(pos);
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << all;
  for (int i : {1, 3, 4}) {
    EXPECT_EQ(all.find(FixtureRef(i) + "\""), std::string::npos)
        << "message " << i << " was finished before the migration: " << all;
  }
  EXPECT_NE(all.find("\"replayIndicator\":true"), std::string::npos) << all;

  // The journal of a message delivered before the migration: derived Inbound and Addressing,
  // the stored Retrying and Delivered rows.
  HttpResult j = hub.Call(
      "GET", "/dip-channel/IF-061/deliveryStatus/" + std::string(kSds) + "/" + FixtureRef(3), "",
      kSdsKey);
  ASSERT_EQ(j.status, 200) << j.body;
  for (const char* part :
       {"\"stage\":\"Inbound\"", "\"stage\":\"Addressing\"", "\"status\":\"Retrying\"",
        "\"status\":\"Delivered\"", "T-IF-061-1100000001-SDS-20261129-0F4A000000000003"}) {
    EXPECT_NE(j.body.find(part), std::string::npos) << part << " in " << j.body;
  }
  // The dead letter is still listed.
  HttpResult dead = hub.Call("GET", std::string("/admin/deadletters/") + kMdr, "", kAdmin);
  ASSERT_EQ(dead.status, 200) << dead.body;
  EXPECT_NE(dead.body.find(FixtureRef(4)), std::string::npos) << dead.body;
  // The duplicate check: a reference used before the migration is refused.
  HttpResult dup = hub.Send("IF-061", MdrStart(FixtureRef(1)));
  EXPECT_EQ(dup.status, 400) << dup.body;
  EXPECT_NE(dup.body.find("MSG1006"), std::string::npos) << dup.body;
  // Replay still finds the old publications (the index was kept).
  HttpResult replay =
      hub.Call("POST", std::string("/dip-channel/IF-061/replay/") + kMdr, kAllNull, kMdrKey);
  ASSERT_EQ(replay.status, 200) << replay.body;
  for (int i = 1; i <= 8; ++i) {
    EXPECT_NE(replay.body.find(FixtureRef(i)), std::string::npos) << i << " " << replay.body;
  }
  // New messages get seqs past the old ones and are delivered too.
  HttpResult fresh = hub.Send("IF-061", MdrStart(Ref("aftermigration")));
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  EXPECT_NE(fresh.body.find("0F4A00000000000A"), std::string::npos) << fresh.body;
  bool delivered = false;
  for (int tries = 0; tries < 100 && !delivered; ++tries) {
    for (const auto& d : sink.WaitFor(1, 1s)) {
      delivered = delivered || d.body.find(Ref("aftermigration")) != std::string::npos;
    }
    if (!delivered) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(delivered) << hub.Log();
  EXPECT_EQ(hub.Terminate(), 0);
}

}  // namespace
}  // namespace diphub::testing
