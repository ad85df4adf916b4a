// storage.engine: jetstream end to end: the real diphub on a real single-node JetStream server
// (nats-server started by the test on 127.0.0.1). Sends get 201 and are delivered; after a
// kill -9 of the hub and the loss of its whole data dir, a new hub on the same stream has every
// acknowledged message (journal, same transaction ID) and delivers the pending ones in order.
// A server that loses entries after acknowledging them has them published again by the hub.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <map>
#include <thread>

#include "tests/integration/hub_fixture.h"
#include "tests/support/jetstream_server.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;
using namespace demo;

std::string TransactionId(HubProcess& hub, const std::string& ref) {
  HttpResult r = hub.Call(
      "GET", "/dip-channel/IF-061/deliveryStatus/" + std::string(kSds) + "/" + ref, "", kSdsKey);
  if (r.status != 200) return "HTTP " + std::to_string(r.status) + " " + r.body;
  simdjson::dom::parser p;
  std::string_view id;
  if (p.parse(r.body).at_pointer("/transactions/0/transactionID").get_string().get(id)) {
    return "no transactionID in " + r.body;
  }
  return std::string(id);
}

// Points `hub` at the stream on `nats`.
void UseJetStream(HubProcess& hub, const JetStreamServer& nats) {
  ASSERT_TRUE(hub.EditConfig("  durability: fsync\n",
                             "  durability: fsync\n  engine: jetstream\n  jetstream:\n"
                             "    servers: [" +
                                 nats.url() + "]\n    replicas: 1\n    ack_timeout_ms: 2000\n"));
}

TEST(JetStreamEngine, ANewHubOnAnEmptyDataDirHasEveryAcknowledgedMessageAndDeliversThePending) {
  ASSERT_FALSE(JetStreamServer::Binary().empty()) << "nats-server is not installed";
  JetStreamServer nats;
  std::string error;
  ASSERT_TRUE(nats.Start(&error)) << error;
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  UseJetStream(hub, nats);
  ASSERT_TRUE(hub.Start(&error)) << error;

  constexpr int kDelivered = 20, kPending = 20;
  std::vector<std::string> refs;
  for (int i = 0; i < kDelivered; ++i) {
    refs.push_back(Ref("js" + std::to_string(i)));
    HttpResult r = hub.Send("IF-061", MdrStart(refs.back()));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  for (int i = 0; i < 300 && RefsIn(sink.WaitFor(1, 100ms)).size() < kDelivered; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(RefsIn(sink.WaitFor(1, 1s)).size(), static_cast<std::size_t>(kDelivered));
  // The MDR's webhook fails from now on: these stay pending (all the same MPAN).
  sink.set_status(500);
  for (int i = kDelivered; i < kDelivered + kPending; ++i) {
    refs.push_back(Ref("js" + std::to_string(i)));
    HttpResult r = hub.Send("IF-061", MdrStart(refs.back()));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::map<std::string, std::string> transaction_ids;
  for (const std::string& ref : refs) transaction_ids[ref] = TransactionId(hub, ref);
  const std::size_t before = sink.count();

  hub.Kill();
  std::filesystem::remove_all(dir.File("data"));  // the node's disk is gone
  sink.set_status(201);
  ASSERT_TRUE(hub.Start(&error)) << error;
  EXPECT_NE(hub.Log().find("jetstream: replayed"), std::string::npos) << hub.Log();

  for (const std::string& ref : refs) {
    EXPECT_EQ(TransactionId(hub, ref), transaction_ids[ref]) << ref;
  }
  // A resend of an acknowledged message is still a duplicate (MSG1006).
  HttpResult dup = hub.Send("IF-061", MdrStart(refs.front()));
  EXPECT_EQ(dup.status, 400) << dup.body;
  EXPECT_NE(dup.body.find("MSG1006"), std::string::npos) << dup.body;

  // Every pending message arrives, in send order (one recipient, one MPAN).
  std::vector<std::string> after;
  for (int i = 0; i < 300; ++i) {
    auto all = sink.WaitFor(before + 1, 100ms);
    after = RefsIn(std::vector<adapters::http::SinkDelivery>(all.begin() + before, all.end()));
    if (after.size() >= kPending) break;
  }
  std::vector<std::string> pending(refs.begin() + kDelivered, refs.end());
  std::vector<std::string> first_seen;
  for (const std::string& ref : after) {
    if (std::find(first_seen.begin(), first_seen.end(), ref) == first_seen.end()) {
      first_seen.push_back(ref);
    }
  }
  // Messages delivered before the kill may come again (at least once); the pending ones must
  // all come, in order.
  std::vector<std::string> pending_seen;
  for (const std::string& ref : first_seen) {
    if (std::find(pending.begin(), pending.end(), ref) != pending.end()) {
      pending_seen.push_back(ref);
    }
  }
  EXPECT_EQ(pending_seen, pending);
}

// Two hubs on one stream (a standby started while the old leader still runs): the first write
// of the second fences the first, whose next send is refused (nothing acknowledged) and which
// then exits with status 3; the refused message is not in the stream.
TEST(JetStreamEngine, AHubFencedByAnotherWriterRefusesTheSendAndExits) {
  JetStreamServer nats;
  std::string error;
  ASSERT_TRUE(nats.Start(&error)) << error;
  TempDir dir_a, dir_b;
  RecordingSink sink;
  HubProcess a(dir_a, sink.Url()), b(dir_b, sink.Url());
  UseJetStream(a, nats);
  UseJetStream(b, nats);
  ASSERT_TRUE(a.Start(&error)) << error;
  ASSERT_EQ(a.Send("IF-061", MdrStart(Ref("fence1"))).status, 201);
  ASSERT_TRUE(b.Start(&error)) << error;
  ASSERT_EQ(b.Send("IF-061", MdrStart(Ref("fence2"))).status, 201);

  HttpResult refused = a.Send("IF-061", MdrStart(Ref("fence3")));
  EXPECT_EQ(refused.status, 500) << refused.body;
  std::this_thread::sleep_for(3s);  // it exits half a second after answering
  EXPECT_EQ(a.Terminate(), 3) << a.Log();
  EXPECT_NE(a.Log().find("fenced"), std::string::npos) << a.Log();

  EXPECT_EQ(TransactionId(b, Ref("fence1")).rfind("T-", 0), 0u);
  EXPECT_EQ(TransactionId(b, Ref("fence2")).rfind("T-", 0), 0u);
  EXPECT_EQ(TransactionId(b, Ref("fence3")).rfind("HTTP 404", 0), 0u);
  EXPECT_EQ(b.Send("IF-061", MdrStart(Ref("fence3"))).status, 201) << "it was never stored";
}

// Sends `ref` until it is stored: 201, or MSG1006 for a copy of a send whose answer was an
// error but which was stored all the same. The last answer otherwise.
HttpResult SendUntilStored(HubProcess& hub, const std::string& ref) {
  HttpResult r;
  for (int i = 0; i < 60; ++i) {
    r = hub.Send("IF-061", MdrStart(ref));
    if (r.status == 201 || (r.status == 400 && r.body.find("MSG1006") != std::string::npos)) {
      return r;
    }
    std::this_thread::sleep_for(500ms);
  }
  return r;
}

// Makes the JetStream server acknowledge entries of `hub` and then lose them: a message
// ("kept") is sent, the server's store is copied while it is down, another ("lost") is sent
// once it is back, and the server is then started again on the copy (nats-server 2.9.10 was
// seen to lose an acknowledged publish when its stream leader was killed, docs/scaleout.md).
// Returns the transaction ID "lost" was acknowledged with.
std::string AcknowledgeThenLose(JetStreamServer& nats, HubProcess& hub, const TempDir& snapshot) {
  std::string error;
  EXPECT_EQ(hub.Send("IF-061", MdrStart(Ref("kept"))).status, 201);
  nats.Kill();
  std::filesystem::copy(nats.store_dir(), snapshot.File("store"),
                        std::filesystem::copy_options::recursive);
  EXPECT_TRUE(nats.Restart(&error)) << error;
  HttpResult stored = SendUntilStored(hub, Ref("lost"));
  EXPECT_TRUE(stored.status == 201 || stored.status == 400) << stored.status << stored.body;
  const std::string lost_id = TransactionId(hub, Ref("lost"));
  EXPECT_EQ(lost_id.rfind("T-", 0), 0u) << lost_id;
  std::this_thread::sleep_for(1s);  // the deliveries' outcomes are entries too
  nats.Kill();
  std::filesystem::remove_all(nats.store_dir());
  std::filesystem::copy(snapshot.File("store"), nats.store_dir(),
                        std::filesystem::copy_options::recursive);
  EXPECT_TRUE(nats.Restart(&error)) << error;
  return lost_id;
}

// The hub's next publish after such a loss finds the stream ending before its acknowledged
// entries; it publishes them again from the parts it keeps, with their sequences, and goes
// on: the message acknowledged in between is in the stream, as a new hub replaying it shows.
// Before, the hub took this for another writer (fenced), refused the send and exited, and the
// acknowledged message was gone.
TEST(JetStreamEngine, EntriesTheServerLostAfterAcknowledgingThemArePublishedAgain) {
  JetStreamServer nats;
  std::string error;
  ASSERT_TRUE(nats.Start(&error)) << error;
  TempDir dir_a, dir_b, snapshot;
  RecordingSink sink;
  HubProcess a(dir_a, sink.Url());
  UseJetStream(a, nats);
  ASSERT_TRUE(a.Start(&error)) << error;
  const std::string lost_id = AcknowledgeThenLose(nats, a, snapshot);
  ASSERT_FALSE(HasFailure());

  HttpResult after = SendUntilStored(a, Ref("after"));
  EXPECT_EQ(after.status, 201) << after.body << "\n" << a.Log();
  EXPECT_NE(a.Log().find("the server lost"), std::string::npos) << a.Log();
  EXPECT_NE(a.Log().find("are in the stream again"), std::string::npos) << a.Log();
  EXPECT_EQ(a.Log().find("fenced"), std::string::npos) << a.Log();

  // A new hub on an empty data dir replays the stream: every acknowledged message is there.
  HubProcess b(dir_b, sink.Url());
  UseJetStream(b, nats);
  a.Terminate();
  ASSERT_TRUE(b.Start(&error)) << error;
  EXPECT_EQ(TransactionId(b, Ref("kept")).rfind("T-", 0), 0u);
  EXPECT_EQ(TransactionId(b, Ref("lost")), lost_id);
  EXPECT_EQ(TransactionId(b, Ref("after")).rfind("T-", 0), 0u);
}

// With nothing kept (storage.jetstream.retained_bytes: 0) the loss cannot be mended: the hub
// says what was lost (not "fenced", which would send the operator looking for another writer),
// refuses the send and exits with status 3.
TEST(JetStreamEngine, ALossBeyondWhatTheHubKeepsIsNamedAndTheHubExits) {
  JetStreamServer nats;
  std::string error;
  ASSERT_TRUE(nats.Start(&error)) << error;
  TempDir dir, snapshot;
  RecordingSink sink;
  HubProcess a(dir, sink.Url());
  UseJetStream(a, nats);
  ASSERT_TRUE(a.EditConfig("    ack_timeout_ms: 2000\n",
                           "    ack_timeout_ms: 2000\n    retained_bytes: 0\n"));
  ASSERT_TRUE(a.Start(&error)) << error;
  AcknowledgeThenLose(nats, a, snapshot);
  ASSERT_FALSE(HasFailure());

  // Sends fail while the hub reconnects; the first one it publishes finds the loss.
  for (int i = 0; i < 60 && a.Log().find("the server lost") == std::string::npos; ++i) {
    HttpResult refused = a.Send("IF-061", MdrStart(Ref("after")));
    EXPECT_NE(refused.status, 201) << refused.body;
    if (refused.status == 201) break;
    std::this_thread::sleep_for(500ms);
  }
  std::this_thread::sleep_for(3s);  // it exits half a second after answering
  EXPECT_EQ(a.Terminate(), 3) << a.Log();
  EXPECT_NE(a.Log().find("the server lost"), std::string::npos) << a.Log();
  EXPECT_NE(a.Log().find("not all of which this node keeps"), std::string::npos) << a.Log();
  EXPECT_EQ(a.Log().find("fenced"), std::string::npos) << a.Log();
}

}  // namespace
}  // namespace diphub::testing
