// Memory and log amplification (#16 item 2): a 15 MB body of five million `{}` used to make a
// 1.46 GB error response, a 9.3 GiB peak RSS and a log line per element. The DIP refuses such an
// array as one rejection: the answer lists at most 100 failing messages plus one item for the
// rest, the hub logs one line per request, and three such requests at once leave its peak RSS
// bounded and the hub serving.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

// A /proc/<pid>/status figure in bytes ("VmHWM", "VmRSS").
std::size_t ProcBytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// `[{},{},...]` of `n` elements: 3 bytes each.
std::string EmptyObjects(std::size_t n) {
  std::string body = "[";
  body.reserve(3 * n + 1);
  for (std::size_t i = 0; i < n; ++i) body += i + 1 < n ? "{}," : "{}]";
  return body;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

std::size_t Lines(const std::string& text) { return Count(text, "\n"); }

TEST(Amplification, HugeArraysOfEmptyObjectsAreOneBoundedRejectionEach) {
  TempDir dir;
  RecordingSink sink;
  HubProcess hub(dir, sink.Url());
  std::string error;
  ASSERT_TRUE(hub.Start(&error)) << error;
  const std::uint16_t port = hub.http_port();
  constexpr std::size_t kBoundedResponse = 256 * 1024;

  // First a 300 KB array of 100,000: before #16 its answer was some 29 MB and it logged 100,000
  // lines (fatal here, so that old code never reaches the 15 MB requests below).
  std::size_t log_before = Lines(hub.Log());
  HttpResult small = hub.Send("IF-061", EmptyObjects(100'000));
  ASSERT_EQ(small.status, 400) << small.error;
  ASSERT_LT(small.body.size(), kBoundedResponse);
  ASSERT_LE(Lines(hub.Log()) - log_before, 3u) << "one log line per refused request";

  // Three 15 MB arrays of five million `{}` at once.
  const std::string body = EmptyObjects(5'000'000);
  ASSERT_GT(body.size(), 14'000'000u);
  log_before = Lines(hub.Log());
  const std::size_t rejected_before = Count(hub.Log(), "rejected array of");
  std::vector<std::future<HttpResult>> sends;
  for (int i = 0; i < 3; ++i) {
    sends.push_back(std::async(std::launch::async, [&body, port] {
      return HttpRequest("127.0.0.1", port, "POST", "/dip-channel/IF-061", body,
                         {{"X-API-Key", "demo-sds-key"}, {"Content-Type", "application/json"}},
                         120s);
    }));
  }
  for (auto& f : sends) {
    HttpResult r = f.get();
    EXPECT_EQ(r.status, 400) << r.error;
    EXPECT_LT(r.body.size(), kBoundedResponse);
    EXPECT_NE(r.body.find("\"message\":\"MSG1001"), std::string::npos) << r.body.substr(0, 500);
    EXPECT_NE(r.body.find("payload: required field missing"), std::string::npos)
        << r.body.substr(0, 500);
    // The last item speaks for the rest of the array.
    EXPECT_NE(r.body.find("4999900 more of the array's 5000000 messages"), std::string::npos)
        << r.body.substr(r.body.size() > 800 ? r.body.size() - 800 : 0);
    EXPECT_EQ(Count(r.body, "\"message\":"), 101u);
  }
  const std::size_t peak = ProcBytes(hub.pid(), "VmHWM");
  std::printf("hub peak RSS (VmHWM) after 3 x %zu-byte arrays: %.0f MiB\n", body.size(),
              static_cast<double>(peak) / (1 << 20));
  // Before #16 one such request alone peaked at 9.3 GiB.
  EXPECT_LT(peak, MemoryBound(std::size_t{600} << 20));
  const std::string log = hub.Log();
  EXPECT_EQ(Count(log, "rejected array of") - rejected_before, 3u);
  EXPECT_LE(Lines(log) - log_before, 10u) << "one log line per refused request";

  HttpResult ok = hub.Send("IF-061", MdrStart("S-IF-061-1100000001-SDS-20261122-after"));
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(sink.WaitFor(1, 10s).size(), 1u) << hub.Log().substr(0, 4000);
  EXPECT_EQ(hub.Terminate(), 0);
}

}  // namespace
}  // namespace diphub::testing
