// The sim adapter in an ordinary hub run (`diphub --config`): a simulated MDR answers a real
// SDS over HTTP. Its outage makes the hub retry the IF-061 until the MDR is back, it then
// answers with IF-062, and its schedule sends IF-064 for the MPAN it collects until the SDS
// stops it with IF-063.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer test-admin"}};

std::string Publications(const std::vector<adapters::http::SinkDelivery>& got) {
  std::string out;
  for (const auto& d : got) {
    for (std::size_t at = 0; (at = d.body.find("\"publicationID\":\"", at)) != std::string::npos;) {
      at += 17;
      out += d.body.substr(at, 7) + " ";
    }
  }
  return out;
}

constexpr const char* kRef1 = "S-IF-061-1100000001-SDS-20261122-simt1";
constexpr const char* kRef2 = "S-IF-063-1100000001-SDS-20261122-simt2";

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

TEST(SimAdapter, OutageRetriedThenAnsweredAndConsumptionScheduled) {
  TempDir dir;
  RecordingSink sds;
  // The simulated MDR needs no webhook.
  HubProcess hub(dir, "",
                 "adapters: [http, sim]\n"
                 "sim:\n"
                 "  seed: 5\n"
                 "  participants:\n"
                 "    - dip_id: \"1200000001\"\n"
                 "      behaviour: MDR\n"
                 "      latency_ms: 20\n"
                 "      consumption_every_ms: 300\n"
                 "      outages: [{after_ms: 0, for_ms: 1500}]\n");
  ASSERT_TRUE(hub.EditConfig("    api_key: demo-mdr-key\n",
                             "    api_key: demo-mdr-key\n    adapter: sim\n"));
  ASSERT_TRUE(hub.EditConfig("api_key: demo-sds-key}",
                             "api_key: demo-sds-key, webhooks: {\"*\": \"" + sds.Url() + "\"}}"));
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;

  const auto sent = std::chrono::steady_clock::now();
  HttpResult r = hub.Send("IF-061", MdrStart(kRef1));
  ASSERT_EQ(r.status, 201) << r.body;

  // The IF-062 comes only after the outage: the hub retried the IF-061.
  auto got = sds.WaitFor(1, 15s);
  ASSERT_FALSE(got.empty()) << hub.Log();
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 1400ms);
  EXPECT_NE(got[0].body.find("\"publicationID\":\"PUB-062\""), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find("\"responseCode\":\"A\""), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find("\"senderCorrelationID\":\"" + std::string(kRef1) + "\""),
            std::string::npos)
      << got[0].body;
  HttpResult journal = hub.Call(
      "GET", "/dip-channel/IF-061/deliveryStatus/1100000001/" + std::string(kRef1), "", kAdmin);
  EXPECT_NE(journal.body.find("\"status\":\"Retrying\""), std::string::npos) << journal.body;
  EXPECT_NE(journal.body.find("\"detail\":\"simulated outage of 1200000001\""), std::string::npos)
      << journal.body;
  std::size_t delivered = journal.body.find("\"status\":\"Delivered\"");
  ASSERT_NE(delivered, std::string::npos) << journal.body;
  EXPECT_EQ(journal.body.find("\"attempt\":1,", delivered), std::string::npos)
      << "delivered at the first attempt despite the outage: " << journal.body;

  // The schedule: IF-064 every 300 ms for the MPAN collected.
  got = sds.WaitFor(4, 10s);
  std::string pubs = Publications(got);
  EXPECT_GE(Count(pubs, "PUB-064"), 3u) << pubs;
  EXPECT_NE(got.back().body.find("\"MPANCore\":\"2000056535971\""), std::string::npos);

  // IF-063 stops the collection: no IF-064 after the MDR has taken it.
  std::string stop = MdrStart(kRef2);
  stop.replace(stop.find("IF-061"), 6, "IF-063");
  stop.replace(stop.find("[MDRStart]"), 10, "[MDRStop]");
  stop = stop.substr(0, stop.find("\"CustomBlock\":")) +
         R"("CustomBlock":{"B083":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"DMDR",
           "assignedMDREffectiveToDate":"2026-11-23T00:00:00+00:00"}}}}])";
  r = hub.Send("IF-063", stop);
  ASSERT_EQ(r.status, 201) << r.body;
  for (int i = 0; i < 100; ++i) {
    HttpResult j = hub.Call(
        "GET", "/dip-channel/IF-063/deliveryStatus/1100000001/" + std::string(kRef2), "", kAdmin);
    if (j.body.find("\"status\":\"Delivered\"") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(400ms);  // a schedule tick already under way may still land
  std::size_t before = Count(Publications(sds.WaitFor(0, 0ms)), "PUB-064");
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(Count(Publications(sds.WaitFor(0, 0ms)), "PUB-064"), before);
}

}  // namespace
}  // namespace diphub::testing
