// The delivery API end to end with real processes: the journal (deliveryStatus), replay with
// continuation tokens, requeue with its status, dead letters (list, replay, purge), and pause /
// resume across a restart.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <set>
#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

using namespace demo;

// Polls `done` every 20 ms until it holds or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::string Str(simdjson::dom::element e, const char* pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get_string().get(v)) return "<missing " + std::string(pointer) + ">";
  return std::string(v);
}

std::int64_t Int(simdjson::dom::element e, const char* pointer) {
  std::int64_t v = -1;
  if (e.at_pointer(pointer).get_int64().get(v)) return -1;
  return v;
}

std::string Header(const HttpResult& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return "";
}

// One array of MdrStart messages with these references.
std::string Batch(const std::vector<std::string>& refs) {
  std::string body = "[";
  for (const std::string& r : refs) {
    std::string one = MdrStart(r);
    if (body.size() > 1) body.push_back(',');
    body += one.substr(1, one.size() - 2);
  }
  return body + "]";
}

// Sends the references (one array) and returns their transaction IDs, in order.
std::vector<std::string> SendAll(HubProcess& hub, const std::vector<std::string>& refs) {
  HttpResult sent = hub.Send("IF-061", Batch(refs));
  EXPECT_EQ(sent.status, 201) << sent.body << sent.error;
  std::vector<std::string> out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(sent.body).get(doc)) return out;
  simdjson::dom::array arr;
  if (doc.at_pointer("/messageArray").get_array().get(arr)) return out;
  for (auto m : arr) out.push_back(Str(m, "/transactionID"));
  EXPECT_EQ(out.size(), refs.size()) << sent.body;
  return out;
}

// A published message as a webhook (or replay) sees it.
struct Pub {
  std::string reference, transaction_id;
  bool replay = false;
};

std::vector<Pub> Pubs(const std::string& array_json) {
  std::vector<Pub> out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  simdjson::dom::array arr;
  if (p.parse(array_json).get(doc) || doc.get_array().get(arr)) {
    ADD_FAILURE() << "not a JSON array: " << array_json.substr(0, 500);
    return out;
  }
  for (auto m : arr) {
    Pub pub{Str(m, "/payload/CommonBlock/S1/senderUniqueReference"),
            Str(m, "/payload/CommonBlock/D0/transactionID"), false};
    bool replay = false;
    if (m.at_pointer("/payload/CommonBlock/D0/replayIndicator").get_bool().get(replay)) {
      ADD_FAILURE() << "no D0.replayIndicator";
    }
    pub.replay = replay;
    out.push_back(std::move(pub));
  }
  return out;
}

// Every message the sink received so far, in arrival order.
std::vector<Pub> Received(RecordingSink& sink) {
  std::vector<Pub> out;
  for (const auto& d : sink.WaitFor(0, 0ms)) {
    for (Pub& p : Pubs(d.body)) out.push_back(std::move(p));
  }
  return out;
}

// Waits until the sink received at least `n` messages (not POSTs); returns them.
std::vector<Pub> WaitForMessages(RecordingSink& sink, std::size_t n,
                                 std::chrono::milliseconds timeout) {
  std::vector<Pub> got;
  WaitUntil(
      [&] {
        got = Received(sink);
        return got.size() >= n;
      },
      timeout);
  return got;
}

// One journal stage, flattened.
struct Stage {
  std::string stage, status, recipient;
  std::int64_t http_status = -1, attempt = -1, duration_ms = -1;
  bool pending = false;
};

struct Journal {
  int http_status = 0;
  std::string body, transaction_id;
  std::vector<Stage> stages;  // of the first transaction

  std::vector<Stage> Outbound(const std::string& status) const {
    std::vector<Stage> out;
    for (const Stage& s : stages) {
      if (s.stage == "Outbound" && s.status == status && !s.pending) out.push_back(s);
    }
    return out;
  }
  std::optional<Stage> Pending() const {
    for (const Stage& s : stages) {
      if (s.pending) return s;
    }
    return std::nullopt;
  }
};

Journal GetJournal(HubProcess& hub, const std::string& participant, const std::string& ref,
                   const std::map<std::string, std::string>& auth) {
  HttpResult r =
      hub.Call("GET", "/dip-channel/IF-061/deliveryStatus/" + participant + "/" + ref, "", auth);
  Journal j{r.status, r.body, "", {}};
  if (r.status != 200) return j;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(r.body).get(doc)) {
    ADD_FAILURE() << "journal not JSON: " << r.body;
    return j;
  }
  EXPECT_EQ(Str(doc, "/senderUniqueReference"), ref);
  j.transaction_id = Str(doc, "/transactions/0/transactionID");
  simdjson::dom::array stages;
  if (doc.at_pointer("/transactions/0/stages").get_array().get(stages)) {
    ADD_FAILURE() << "journal without stages: " << r.body;
    return j;
  }
  for (auto s : stages) {
    Stage st{Str(s, "/stage"),   Str(s, "/status"),     "",   Int(s, "/httpStatus"),
             Int(s, "/attempt"), Int(s, "/durationMs"), false};
    std::string_view to;
    if (!s["recipientID"].get_string().get(to)) st.recipient = std::string(to);
    bool pending = false;
    if (!s["pending"].get_bool().get(pending)) st.pending = pending;
    j.stages.push_back(std::move(st));
  }
  return j;
}

HttpResult Replay(HubProcess& hub, const std::string& body, const std::string& token = "") {
  std::map<std::string, std::string> h = kMdrKey;
  if (!token.empty()) h["X-Continuation-Token"] = token;
  return hub.Call("POST", std::string("/dip-channel/IF-061/replay/") + kMdr, body, h);
}

HttpResult Admin(HubProcess& hub, const std::string& method, const std::string& target) {
  return hub.Call(method, target, "", kAdmin);
}

// The base config says max_attempts 1000; a YAML key cannot repeat, so rewrite it in place
// (HubProcess writes diphub.yaml in its constructor and reads it at Start()).
void SetMaxAttempts(const TempDir& dir, int attempts) {
  std::string yaml = ReadFile(dir.File("diphub.yaml"));
  const std::string from = "max_attempts: 1000";
  auto at = yaml.find(from);
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, from.size(), "max_attempts: " + std::to_string(attempts));
  WriteFile(dir.File("diphub.yaml"), yaml);
}

TEST(DeliveryApi, JournalShowsEveryStage) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  const std::string ref = Ref("j1");
  std::vector<std::string> tx = SendAll(hub, {ref});
  ASSERT_EQ(tx.size(), 1u);
  ASSERT_EQ(WaitForMessages(sink, 1, 10s).size(), 1u) << hub.Log();

  // The sender's view: every stage, ending Delivered with the webhook's 201.
  Journal j;
  ASSERT_TRUE(WaitUntil(
      [&] {
        j = GetJournal(hub, kSds, ref, kSdsKey);
        return !j.Outbound("Delivered").empty();
      },
      10s))
      << j.http_status << " " << j.body;
  EXPECT_EQ(j.transaction_id, tx[0]);
  ASSERT_GE(j.stages.size(), 3u) << j.body;
  EXPECT_EQ(j.stages[0].stage, "Inbound") << j.body;
  EXPECT_EQ(j.stages[0].status, "Accepted") << j.body;
  EXPECT_EQ(j.stages[1].stage, "Addressing") << j.body;
  EXPECT_EQ(j.stages[1].status, "Routed") << j.body;
  Stage out = j.Outbound("Delivered").at(0);
  EXPECT_EQ(out.recipient, kMdr) << j.body;
  EXPECT_EQ(out.http_status, 201) << j.body;
  EXPECT_EQ(out.attempt, 1) << j.body;
  EXPECT_GE(out.duration_ms, 0) << j.body;
  EXPECT_FALSE(j.Pending()) << "a delivered message is not pending: " << j.body;

  // The admin token may ask on the sender's behalf.
  Journal as_admin = GetJournal(hub, kSds, ref, kAdmin);
  EXPECT_EQ(as_admin.http_status, 200) << as_admin.body;
  EXPECT_EQ(as_admin.transaction_id, tx[0]);

  // The recipient's view: its own outbound rows.
  Journal mdr = GetJournal(hub, kMdr, ref, kMdrKey);
  ASSERT_EQ(mdr.http_status, 200) << mdr.body;
  EXPECT_EQ(mdr.transaction_id, tx[0]);
  ASSERT_EQ(mdr.Outbound("Delivered").size(), 1u) << mdr.body;
  for (const Stage& s : mdr.stages) {
    if (s.stage == "Outbound") {
      EXPECT_EQ(s.recipient, kMdr) << mdr.body;
    }
  }

  // Unknown reference: 404. A participant neither sending nor receiving it: 404 too.
  EXPECT_EQ(GetJournal(hub, kSds, Ref("nope"), kSdsKey).http_status, 404);
  EXPECT_EQ(GetJournal(hub, "1300000001", ref, kSupKey).http_status, 404);
  // Another participant's key: 403; no key: 401.
  Journal forbidden = GetJournal(hub, kSds, ref, kSupKey);
  EXPECT_EQ(forbidden.http_status, 403) << forbidden.body;
  EXPECT_EQ(GetJournal(hub, kSds, ref, {}).http_status, 401);
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(DeliveryApi, JournalShowsRetryingAndPaused) {
  TempDir dir;
  RecordingSink sink;
  sink.set_status(503);
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  const std::string ref = Ref("r1");
  ASSERT_EQ(SendAll(hub, {ref}).size(), 1u);
  ASSERT_GE(sink.WaitFor(2, 10s).size(), 2u) << hub.Log();

  Journal j;
  ASSERT_TRUE(WaitUntil(
      [&] {
        j = GetJournal(hub, kSds, ref, kSdsKey);
        return j.Outbound("Retrying").size() >= 2 && j.Pending();
      },
      10s))
      << j.body;
  for (const Stage& s : j.Outbound("Retrying")) {
    EXPECT_EQ(s.http_status, 503) << j.body;
    EXPECT_EQ(s.recipient, kMdr) << j.body;
    EXPECT_GE(s.attempt, 1) << j.body;
  }
  EXPECT_EQ(j.Pending()->status, "Retrying") << j.body;
  EXPECT_EQ(j.Pending()->recipient, kMdr) << j.body;

  // Paused: the pending status says so and the attempts stop (at most the one in flight).
  HttpResult paused = Admin(hub, "POST", std::string("/admin/recipients/") + kMdr + "/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  j = GetJournal(hub, kSds, ref, kSdsKey);
  ASSERT_TRUE(j.Pending()) << j.body;
  EXPECT_EQ(j.Pending()->status, "Paused") << j.body;
  std::this_thread::sleep_for(300ms);
  const std::size_t settled = sink.count();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.count(), settled) << "no attempts while paused";
  // The recipient sees the same pending state.
  Journal mdr = GetJournal(hub, kMdr, ref, kMdrKey);
  ASSERT_TRUE(mdr.Pending()) << mdr.body;
  EXPECT_EQ(mdr.Pending()->status, "Paused") << mdr.body;

  // Resumed with a working webhook: delivered.
  sink.set_status(201);
  HttpResult resumed = Admin(hub, "POST", std::string("/admin/recipients/") + kMdr + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        j = GetJournal(hub, kSds, ref, kSdsKey);
        return !j.Outbound("Delivered").empty();
      },
      10s))
      << j.body << hub.Log();
  EXPECT_EQ(j.Outbound("Delivered")[0].http_status, 201) << j.body;
  EXPECT_FALSE(j.Pending()) << j.body;
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(DeliveryApi, PauseHoldsDeliveriesAcrossRestartAndResumeDrains) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  // Simulate an outage: the operator pauses the MDR, traffic keeps coming.
  ASSERT_EQ(Admin(hub, "POST", std::string("/admin/recipients/") + kMdr + "/pause").status, 200);
  std::vector<std::string> refs;
  for (int i = 0; i < 20; ++i) {
    char tag[8];
    std::snprintf(tag, sizeof tag, "p%02d", i);
    refs.push_back(Ref(tag));
    ASSERT_EQ(SendAll(hub, {refs.back()}).size(), 1u);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.count(), 0u) << "a paused recipient gets nothing";

  // The pause survives a restart.
  ASSERT_EQ(hub.Terminate(), 0);
  ASSERT_TRUE(hub.Start(&error)) << error;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink.count(), 0u) << "still paused after the restart; log:\n" << hub.Log();
  Journal j = GetJournal(hub, kSds, refs[7], kSdsKey);
  ASSERT_TRUE(j.Pending()) << j.body;
  EXPECT_EQ(j.Pending()->status, "Paused") << j.body;

  // Resume: the backlog drains, in order, once each.
  ASSERT_EQ(Admin(hub, "POST", std::string("/admin/recipients/") + kMdr + "/resume").status, 200);
  std::vector<Pub> got = WaitForMessages(sink, 20, 15s);
  ASSERT_EQ(got.size(), 20u) << hub.Log();
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].reference, refs[i]) << "at " << i;
    EXPECT_FALSE(got[i].replay) << "at " << i;
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Received(sink).size(), 20u) << "nothing delivered twice";
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(DeliveryApi, ReplayFiltersAndPages) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  std::vector<std::string> refs, txs;
  for (int batch = 0; batch < 23; ++batch) {
    std::vector<std::string> part;
    for (int i = 0; i < 10; ++i) {
      char tag[8];
      std::snprintf(tag, sizeof tag, "q%03d", batch * 10 + i);
      part.push_back(Ref(tag));
    }
    std::vector<std::string> ids = SendAll(hub, part);
    ASSERT_EQ(ids.size(), 10u);
    refs.insert(refs.end(), part.begin(), part.end());
    txs.insert(txs.end(), ids.begin(), ids.end());
  }
  ASSERT_EQ(WaitForMessages(sink, 230, 20s).size(), 230u) << hub.Log();

  // All-null filters: 100, 100, 30, chained by continuation tokens, replayIndicator true.
  std::vector<Pub> all;
  std::string token;
  std::vector<std::size_t> page_sizes;
  for (int page = 0; page < 4; ++page) {
    HttpResult r = Replay(hub, kAllNull, token);
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<Pub> pubs = Pubs(r.body);
    page_sizes.push_back(pubs.size());
    all.insert(all.end(), pubs.begin(), pubs.end());
    token = Header(r, "X-Continuation-Token");
    if (token.empty()) break;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{100, 100, 30}));
  ASSERT_EQ(all.size(), 230u);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].transaction_id, txs[i]) << "at " << i;
    EXPECT_EQ(all[i].reference, refs[i]) << "at " << i;
    EXPECT_TRUE(all[i].replay) << "at " << i;
    EXPECT_TRUE(seen.insert(all[i].transaction_id).second) << "duplicate at " << i;
  }

  // transactionIDs: exactly those, in acceptance order.
  HttpResult three = Replay(hub, R"({"datetimeFrom":null,"datetimeTo":null,"eventCode":null,)"
                                 R"("MPAN":null,"version":null,"transactionIDs":[")" +
                                     txs[150] + R"(",")" + txs[3] + R"(",")" + txs[229] + R"("]})");
  ASSERT_EQ(three.status, 200) << three.body;
  std::vector<Pub> picked = Pubs(three.body);
  ASSERT_EQ(picked.size(), 3u) << three.body;
  EXPECT_EQ(picked[0].transaction_id, txs[3]);
  EXPECT_EQ(picked[1].transaction_id, txs[150]);
  EXPECT_EQ(picked[2].transaction_id, txs[229]);
  EXPECT_TRUE(Header(three, "X-Continuation-Token").empty());

  // Filters that match nothing: [].
  HttpResult none = Replay(hub, R"({"datetimeFrom":null,"datetimeTo":null,)"
                                R"("eventCode":"[Nonsense]","MPAN":null,"version":null})");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(Pubs(none.body).empty()) << none.body;
  HttpResult future =
      Replay(hub, R"({"datetimeFrom":"2099-01-01T00:00:00+00:00",)"
                  R"("datetimeTo":null,"eventCode":null,"MPAN":null,"version":null})");
  ASSERT_EQ(future.status, 200) << future.body;
  EXPECT_TRUE(Pubs(future.body).empty()) << future.body;
  EXPECT_TRUE(Header(future, "X-Continuation-Token").empty());

  // Filters that match everything page the same way.
  HttpResult matching = Replay(hub, R"({"datetimeFrom":"2020-01-01T00:00:00+00:00",)"
                                    R"("datetimeTo":null,"eventCode":"[MDRStart]",)"
                                    R"("MPAN":"2000056535971","version":null})");
  ASSERT_EQ(matching.status, 200) << matching.body;
  EXPECT_EQ(Pubs(matching.body).size(), 100u);
  const std::string matching_token = Header(matching, "X-Continuation-Token");
  EXPECT_FALSE(matching_token.empty());

  // Bad tokens and bodies: 400, naming what is wrong.
  HttpResult bad_token = Replay(hub, kAllNull, "not-a-token");
  EXPECT_EQ(bad_token.status, 400) << bad_token.body;
  EXPECT_NE(bad_token.body.find("X-Continuation-Token"), std::string::npos) << bad_token.body;
  if (!matching_token.empty()) {
    HttpResult other_query = Replay(hub, kAllNull, matching_token);
    EXPECT_EQ(other_query.status, 400) << "a token of another request: " << other_query.body;
  }
  HttpResult zulu = Replay(hub, R"({"datetimeFrom":"2026-11-22T00:00:00Z","datetimeTo":null,)"
                                R"("eventCode":null,"MPAN":null,"version":null})");
  EXPECT_EQ(zulu.status, 400) << zulu.body;
  EXPECT_NE(zulu.body.find("datetimeFrom"), std::string::npos) << zulu.body;
  HttpResult not_json = Replay(hub, "{");
  EXPECT_EQ(not_json.status, 400) << not_json.body;

  // Replay is the recipient's: the sender's key may not ask for it.
  HttpResult as_sds =
      hub.Call("POST", std::string("/dip-channel/IF-061/replay/") + kMdr, kAllNull, kSdsKey);
  EXPECT_EQ(as_sds.status, 403) << as_sds.body;
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(DeliveryApi, RequeueRedeliversWithReplayIndicator) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  std::vector<std::string> refs;
  for (int i = 0; i < 5; ++i) refs.push_back(Ref("u" + std::to_string(i)));
  std::vector<std::string> txs = SendAll(hub, refs);
  ASSERT_EQ(txs.size(), 5u);
  ASSERT_EQ(WaitForMessages(sink, 5, 10s).size(), 5u) << hub.Log();
  // Recorded as delivered before asking for them again.
  ASSERT_TRUE(hub.WaitForMetric(
      "diphub_deliveries_total{recipient=\"1200000001\",status=\"Delivered\"} 5", 10s));

  HttpResult requeued = hub.Call("POST", std::string("/dip-channel/IF-061/requeue/") + kMdr,
                                 R"({"datetimeFrom":null,"datetimeTo":null,"eventCode":null,)"
                                 R"("MPAN":null,"version":null,"transactionIDs":[")" +
                                     txs[1] + R"(",")" + txs[3] + R"("]})",
                                 kMdrKey);
  ASSERT_EQ(requeued.status, 200) << requeued.body;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(requeued.body).get(doc)) << requeued.body;
  const std::string id = Str(doc, "/requeueId");
  EXPECT_EQ(Int(doc, "/totalTransactions"), 2) << requeued.body;

  std::vector<Pub> got = WaitForMessages(sink, 7, 10s);
  ASSERT_EQ(got.size(), 7u) << hub.Log();
  EXPECT_EQ(got[5].transaction_id, txs[1]);
  EXPECT_EQ(got[6].transaction_id, txs[3]);
  EXPECT_TRUE(got[5].replay) << "a requeued message is published with replayIndicator true";
  EXPECT_TRUE(got[6].replay) << "a requeued message is published with replayIndicator true";
  for (std::size_t i = 0; i < 5; ++i) EXPECT_FALSE(got[i].replay) << "at " << i;

  const std::string status_url =
      std::string("/dip-channel/IF-061/requeue/") + kMdr + "?requeue-id=" + id;
  HttpResult status;
  ASSERT_TRUE(WaitUntil(
      [&] {
        status = hub.Call("GET", status_url, "", kMdrKey);
        return status.status == 200 && status.body.find("\"Completed\"") != std::string::npos;
      },
      10s))
      << status.status << " " << status.body;
  simdjson::dom::parser sp;
  simdjson::dom::element st;
  ASSERT_FALSE(sp.parse(status.body).get(st)) << status.body;
  EXPECT_EQ(Int(st, "/totalTransactions"), 2) << status.body;
  EXPECT_EQ(Int(st, "/processedTransactions"), 2) << status.body;
  EXPECT_EQ(Int(st, "/percentComplete"), 100) << status.body;
  EXPECT_EQ(Str(st, "/status"), "Completed") << status.body;

  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Received(sink).size(), 7u) << "only the requeued two again";
  HttpResult unknown = hub.Call("GET",
                                std::string("/dip-channel/IF-061/requeue/") + kMdr +
                                    "?requeue-id=00000000-0000-0000-0000-000000000000",
                                "", kMdrKey);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(hub.Terminate(), 0);
}

TEST(DeliveryApi, DeadLettersListReplayPurge) {
  TempDir dir;
  RecordingSink sink;
  sink.set_status(500);
  HubProcess hub(dir, sink.Url());
  SetMaxAttempts(dir, 2);
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  const std::string dead_url = std::string("/admin/deadletters/") + kMdr;
  auto list = [&](simdjson::dom::parser& p, simdjson::dom::array* out) {
    HttpResult r = Admin(hub, "GET", dead_url);
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::element doc;
    if (p.parse(r.body).get(doc) || doc.get_array().get(*out)) {
      ADD_FAILURE() << "not a JSON array: " << r.body;
      return std::string();
    }
    return r.body;
  };

  // Two failed attempts: dead-lettered.
  std::vector<std::string> first = SendAll(hub, {Ref("x1")});
  ASSERT_EQ(first.size(), 1u);
  simdjson::dom::parser p1;
  simdjson::dom::array dead;
  std::string body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        body = list(p1, &dead);
        return dead.size() > 0;
      },
      10s))
      << body << hub.Log();
  ASSERT_EQ(dead.size(), 1u) << body;
  simdjson::dom::element d0;
  ASSERT_FALSE(dead.at(0).get(d0));
  EXPECT_EQ(Str(d0, "/transactionID"), first[0]) << body;
  EXPECT_EQ(Str(d0, "/senderUniqueReference"), Ref("x1")) << body;
  EXPECT_EQ(Str(d0, "/status"), "RetriesExhausted") << body;
  EXPECT_EQ(Int(d0, "/attempts"), 2) << body;
  EXPECT_EQ(Int(d0, "/lastHttpStatus"), 500) << body;
  EXPECT_EQ(sink.count(), 2u) << "max_attempts 2";
  Journal j = GetJournal(hub, kSds, Ref("x1"), kSdsKey);
  EXPECT_EQ(j.Outbound("RetriesExhausted").size(), 1u) << j.body;
  EXPECT_FALSE(j.Pending()) << j.body;
  EXPECT_EQ(hub.Call("GET", dead_url).status, 401) << "the admin API needs the token";

  // Replayed with the webhook back: delivered, flagged as a replay, and no longer dead.
  sink.set_status(201);
  HttpResult replayed = Admin(hub, "POST", dead_url + "/replay");
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(replayed.body, R"({"requeued":1})");
  std::vector<Pub> got = WaitForMessages(sink, 3, 10s);
  ASSERT_EQ(got.size(), 3u) << hub.Log();
  EXPECT_EQ(got[2].transaction_id, first[0]);
  EXPECT_TRUE(got[2].replay) << "a dead letter replayed is published with replayIndicator true";
  ASSERT_TRUE(WaitUntil(
      [&] {
        j = GetJournal(hub, kSds, Ref("x1"), kSdsKey);
        return !j.Outbound("Delivered").empty();
      },
      10s))
      << j.body;
  simdjson::dom::parser p2;
  body = list(p2, &dead);
  EXPECT_EQ(dead.size(), 0u) << body;

  // Another one exhausted, then purged: gone for good.
  sink.set_status(500);
  std::vector<std::string> second = SendAll(hub, {Ref("x2")});
  ASSERT_EQ(second.size(), 1u);
  simdjson::dom::parser p3;
  ASSERT_TRUE(WaitUntil(
      [&] {
        body = list(p3, &dead);
        return dead.size() > 0;
      },
      10s))
      << body << hub.Log();
  ASSERT_EQ(dead.size(), 1u) << body;
  simdjson::dom::element d1;
  ASSERT_FALSE(dead.at(0).get(d1));
  EXPECT_EQ(Str(d1, "/transactionID"), second[0]) << body;
  HttpResult purged = Admin(hub, "DELETE", dead_url);
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(purged.body, R"({"purged":1})");
  simdjson::dom::parser p4;
  body = list(p4, &dead);
  EXPECT_EQ(dead.size(), 0u) << body;
  const std::size_t after_purge = sink.count();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(sink.count(), after_purge) << "a purged dead letter is not delivered";
  HttpResult none = Admin(hub, "POST", dead_url + "/replay");
  EXPECT_EQ(none.body, R"({"requeued":0})");
  EXPECT_EQ(Admin(hub, "GET", "/admin/deadletters/9999999999").status, 404);
  EXPECT_EQ(hub.Terminate(), 0);
}

}  // namespace
}  // namespace diphub::testing
