// The ZeroMQ path end to end (docs/performance.md): an in-process hub with a real RocksDB in a
// temp dir (fsync per group commit) and its zmq adapter on 127.0.0.1; one MDR client sends 2 KB
// IF-064 messages pipelined within the credit window, one SDS client receives the deliveries and
// acknowledges each batch. Reported: send -> durable (ACK 201) and send -> durable -> routed ->
// delivered -> acknowledged rates. A plain program printing figures; nothing asserts a time.
//   zmq_bench [--messages=N] [--per-send=K] [--credit=C]
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "adapters/zmq/client.h"
#include "broker/config.h"
#include "broker/hub.h"

namespace {

using namespace diphub;
using Clock = std::chrono::steady_clock;

std::size_t Flag(int argc, char** argv, const std::string& name, std::size_t fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind(prefix, 0) == 0) return std::stoull(a.substr(prefix.size()));
  }
  return fallback;
}

// One IF-064 [MDRConsumption] from the MDR to the SDS, about 2 KB.
std::string If064(std::size_t n) {
  std::string periods;
  for (int i = 0; i < 26; ++i) {
    char sp[32];
    std::snprintf(sp, sizeof sp, "2026-11-21T%02d:%02d:00+00:00", i / 2, i % 2 * 30);
    if (i) periods += ",";
    periods += R"({"sp":")" + std::string(sp) + R"(","v":"12.345","q":"A"})";
  }
  std::string ref = "S-IF-064-1200000001-MDR-20261122-bench" + std::to_string(n);
  return R"({"payload":{"CommonBlock":{
  "S0":{"interfaceID":"IF-064","schemaVersion":"011","eventCode":"[MDRConsumption]"},
  "S1":{"environmentTag":"DEV","subText":null,"senderUniqueReference":")" +
         ref + R"(","senderTimestamp":"2026-11-22T09:30:00+00:00","senderDIPID":"1200000001",
        "senderRoleID":"MDR","senderCorrelationID":null,"DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":["1100000001"],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":"2000000000001","distributorDIPID":"1009012345","GSPGroupID":"_K"}},
 "CustomBlock":{"B045":{"measurementQuantityID":"AI"},"B941List":[{"settlementDay":
  {"settlementDayDate":"2026-11-21T00:00:00+00:00","periodDuration":30},
  "MDRConsumptionPeriods":[)" +
         periods + "]}]}}}";
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t messages = Flag(argc, argv, "messages", 200000);
  const std::size_t per_send = std::max<std::size_t>(1, Flag(argc, argv, "per-send", 1));
  const std::size_t credit = Flag(argc, argv, "credit", 2000);
  spdlog::set_level(spdlog::level::warn);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("diphub-zmq-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "appointments.csv") << "MPANCore,role,DIPID,effectiveFromDate\n"
                                             "2000000000001,SDS,1100000001,2020-01-01\n"
                                             "2000000000001,MDR,1200000001,2020-01-01\n";
  auto [hub_pub, hub_sec] = adapters::zmq::CurveKeyPair();
  auto [sds_pub, sds_sec] = adapters::zmq::CurveKeyPair();
  auto [mdr_pub, mdr_sec] = adapters::zmq::CurveKeyPair();
  const std::string yaml =
      "hub: {dip_id: \"0000000000\", environment_tag: DEV, shards: 2}\n"
      "storage: {data_dir: \"" +
      (dir / "data").string() +
      "\", durability: fsync}\n"
      "metrics: {listen: \"\"}\n"
      "auth: {require_api_key: true, signatures: verify-if-present}\n"
      "adapters: [zmq]\n"
      "zmq: {listen: \"tcp://127.0.0.1:0\", secret_key: \"" +
      hub_sec + "\", credit: " + std::to_string(credit) +
      "}\n"
      "routing:\n  appointments_csv: \"" +
      (dir / "appointments.csv").string() +
      "\"\n  pairings: [{sds: \"1100000001\", mdr: \"1200000001\"}]\n"
      "participants:\n"
      "  - {dip_id: \"1100000001\", role: SDS, mpid: DSDS, api_key: k1, adapter: zmq,"
      " zmq_public_key: \"" +
      sds_pub +
      "\"}\n"
      "  - {dip_id: \"1200000001\", role: MDR, mpid: DMDR, api_key: k2, zmq_public_key: \"" +
      mdr_pub + "\"}\n";
  auto config = broker::ParseConfig(yaml, "zmq_bench");
  if (!config.ok()) {
    std::fprintf(stderr, "config: %s\n", config.status().ToString().c_str());
    return 1;
  }
  int rc = 0;
  {
    broker::Hub hub(std::move(config).value());
    if (dip::Status s = hub.Start(); !s.ok()) {
      std::fprintf(stderr, "hub: %s\n", s.ToString().c_str());
      return 1;
    }
    std::string endpoint;
    for (const std::string& e : hub.Endpoints()) {
      if (e.rfind("zmq=", 0) == 0) endpoint = e.substr(4);
    }
    adapters::zmq::ClientOptions base;
    base.endpoint = endpoint;
    base.server_public_key = hub_pub;

    const std::size_t total = messages / per_send * per_send;
    std::atomic<std::size_t> delivered{0};
    std::atomic<bool> receiving{true};
    Clock::time_point last_delivery;
    std::thread receiver([&] {
      adapters::zmq::ClientOptions o = base;
      o.public_key = sds_pub;
      o.secret_key = sds_sec;
      o.receive = true;
      auto c = adapters::zmq::Client::Connect(o);
      if (!c.ok()) {
        std::fprintf(stderr, "receiver: %s\n", c.status().ToString().c_str());
        receiving = false;
        return;
      }
      c.value()->on_delivery = [&](const std::vector<adapters::zmq::Delivered>& b) {
        delivered += b.size();
      };
      while (receiving && delivered < total) {  // the main thread ends it early on refusals
        if (dip::Status s = c.value()->Poll(std::chrono::milliseconds(100)); !s.ok()) {
          std::fprintf(stderr, "receiver: %s\n", s.ToString().c_str());
          break;
        }
      }
      last_delivery = Clock::now();  // the ACK of the last batch is sent by now
    });

    adapters::zmq::ClientOptions o = base;
    o.public_key = mdr_pub;
    o.secret_key = mdr_sec;
    auto sender = adapters::zmq::Client::Connect(o);
    if (!sender.ok()) {
      std::fprintf(stderr, "sender: %s\n", sender.status().ToString().c_str());
      receiving = false;
      receiver.join();
      return 1;
    }
    std::map<int, std::size_t> statuses;
    std::string first_refusal;
    sender.value()->on_ack = [&](const adapters::zmq::SendAck& a) {
      ++statuses[a.status];
      if (a.status != 201 && first_refusal.empty()) first_refusal = a.response;
    };
    // Every message has its own senderUniqueReference (the hub refuses duplicates): the body is
    // cut once around the reference and the number filled in per send.
    const std::string marker = "bench0\"";
    const std::string one = If064(0);
    const std::string head = one.substr(0, one.find(marker) + 5);
    const std::string tail = one.substr(one.find(marker) + 6);
    std::string body;
    std::size_t next_ref = 0;
    auto make_body = [&] {
      body = "[";
      for (std::size_t i = 0; i < per_send; ++i) {
        if (i) body += ",";
        body += head;
        body += std::to_string(next_ref++);
        body += tail;
      }
      body += "]";
    };
    const std::size_t message_bytes = If064(0).size();
    const auto start = Clock::now();
    for (std::size_t i = 0; i < total / per_send; ++i) {
      make_body();
      if (auto seq = sender.value()->Send("IF-064", body); !seq.ok()) {
        std::fprintf(stderr, "send: %s\n", seq.status().ToString().c_str());
        break;
      }
    }
    if (dip::Status s = sender.value()->Flush(std::chrono::minutes(10)); !s.ok()) {
      std::fprintf(stderr, "flush: %s\n", s.ToString().c_str());
    }
    const auto acked = Clock::now();
    const std::size_t accepted = statuses[201] * per_send;
    const auto deadline = acked + std::chrono::minutes(5);
    while (delivered < accepted && receiving && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    receiving = false;
    receiver.join();
    auto seconds = [start](Clock::time_point t) {
      return std::chrono::duration<double>(t - start).count();
    };
    std::printf("zmq_bench: %zu IF-064 messages of %zu bytes, %zu per SEND, credit %zu, fsync\n",
                total, message_bytes, per_send, credit);
    for (const auto& [status, n] : statuses) std::printf("  acks %d: %zu\n", status, n);
    if (!first_refusal.empty()) std::printf("  first refusal: %s\n", first_refusal.c_str());
    std::printf("  send -> durable (ACK 201):          %8.0f msg/s (%.2f s)\n",
                static_cast<double>(total) / seconds(acked), seconds(acked));
    std::printf("  send -> ... -> delivered -> acked:  %8.0f msg/s (%.2f s, %zu delivered)\n",
                static_cast<double>(delivered.load()) / seconds(last_delivery),
                seconds(last_delivery), delivered.load());
    if (statuses[201] * per_send != total || delivered != total) rc = 1;
    hub.Stop();
  }
  std::filesystem::remove_all(dir);
  return rc;
}
