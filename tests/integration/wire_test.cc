// The request as it arrives on the wire (#16 item 3), over a raw TCP socket where an HTTP client
// library would tidy it: a key given twice inside an envelope block is a schema failure (MSG1001)
// naming it, not a routing code; a repeated X-API-Key (or signature header) is 400 naming the
// header; an absolute-form request target (RFC 9112 section 3.2.2) is served like its origin
// form; and the answers the HTTP parser gives itself (400, 413, 431) are DIP StandardResponses
// with a code and a help text. Nothing refused is stored.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/hub_fixture.h"

namespace diphub::testing {
namespace {

using namespace std::chrono_literals;

// A raw POST of `body` to `target` with `headers` (each "Name: value").
std::string Post(const std::string& target, const std::string& body,
                 const std::vector<std::string>& headers) {
  std::string r = "POST " + target + " HTTP/1.1\r\n";
  for (const std::string& h : headers) r += h + "\r\n";
  r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
       "\r\n\r\n" + body;
  return r;
}

// The body is a DIP StandardResponse (an array of one response item) with `code` and `help`.
void ExpectStandardResponse(const HttpResult& r, const std::string& code, const std::string& help) {
  EXPECT_EQ(r.headers.count("Content-Type") ? r.headers.at("Content-Type") : "",
            "application/json");
  EXPECT_EQ(r.body.rfind("{\"messageArray\":[{\"transactionID\":", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("\"message\":\"" + code), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"help\":\"" + help), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"senderID\":\"0000000000\""), std::string::npos) << r.body;
}

class Wire : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(dir_, sink_.Url());
    std::string error;
    ASSERT_TRUE(hub_->Start(&error)) << error;
  }

  std::string Host() const { return "Host: 127.0.0.1:" + std::to_string(hub_->http_port()); }

  // A valid send with `reference` is accepted: the refused one stored nothing under it.
  void ExpectNothingStored(const std::string& reference) {
    HttpResult ok = hub_->Send("IF-061", MdrStart(reference));
    EXPECT_EQ(ok.status, 201) << "the refused message must not have been stored: " << ok.body;
  }

  TempDir dir_;
  RecordingSink sink_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(Wire, AKeyGivenTwiceInAnEnvelopeBlockIsSchemaFailureNamingIt) {
  struct Case {
    std::string what, from, to, help;
  };
  const std::vector<Case> cases = {
      // Before #16 these were routed on one of the two values: MSG1031 / MSG1035.
      {"A0.primaryRecipients twice", "\"secondaryRecipients\"",
       "\"primaryRecipients\":[\"1999999999\"],\"secondaryRecipients\"",
       "A0.primaryRecipients: field appears more than once"},
      {"A0.always twice", "\"always\":[]", "\"always\":[],\"always\":[\"1999999999\"]",
       "A0.always: field appears more than once"},
      {"A0 key twice in other case", "\"secondaryRecipients\":[]",
       "\"secondaryRecipients\":[],\"SecondaryRecipients\":[]",
       "A0.SecondaryRecipients: field appears more than once"},
      {"M0 field twice", "\"GSPGroupID\":\"_K\"", "\"GSPGroupID\":\"_K\",\"GSPGroupID\":\"_A\"",
       "M0.GSPGroupID: field appears more than once"},
      {"CommonBlock block twice",
       "\"M0\":", "\"M1\":{},\"M1\":{},\"M0\":", "M1: block appears more than once"},
      {"CustomBlock twice", "\"CustomBlock\":", "\"CustomBlock\":{},\"CustomBlock\":",
       "CustomBlock: block appears more than once"},
      {"CustomBlock data item twice",
       "\"B078\":", "\"B078\":{},\"B078\":", "CustomBlock.B078: field appears more than once"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string ref = "S-IF-061-1100000001-SDS-20261122-dup" + std::to_string(n++);
    HttpResult r = hub_->Send("IF-061", Replace(MdrStart(ref), c.from, c.to));
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find("\"message\":\"MSG1001"), std::string::npos) << c.what << ": " << r.body;
    EXPECT_NE(r.body.find(c.help), std::string::npos) << c.what << ": " << r.body;
    ExpectNothingStored(ref);
  }
}

TEST_F(Wire, ARepeatedApiKeyHeaderIs400NamingItAndNothingIsStored) {
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-keys";
  // Two keys of two participants, and the same key twice: either way the request is ambiguous.
  for (const std::vector<std::string>& keys :
       {std::vector<std::string>{"X-API-Key: demo-sds-key", "X-API-Key: demo-mdr-key"},
        std::vector<std::string>{"X-API-Key: demo-sds-key", "x-api-key: demo-sds-key"}}) {
    std::vector<std::string> headers = {Host()};
    headers.insert(headers.end(), keys.begin(), keys.end());
    HttpResult r = RawHttp(hub_->http_port(), Post("/dip-channel/IF-061", MdrStart(ref), headers));
    EXPECT_EQ(r.status, 400) << r.error << r.body;
    ExpectStandardResponse(r, "MSG1009", "X-API-Key: sent 2 times");
  }
  // So is a signature header given twice, and a status message with two keys.
  HttpResult sig = RawHttp(hub_->http_port(), Post("/dip-channel/IF-061", MdrStart(ref),
                                                   {Host(), "X-API-Key: demo-sds-key",
                                                    "X-DIP-Signature: a", "X-DIP-Signature: b"}));
  EXPECT_EQ(sig.status, 400) << sig.error << sig.body;
  ExpectStandardResponse(sig, "RCP9999", "X-DIP-Signature: sent 2 times");
  HttpResult status =
      RawHttp(hub_->http_port(),
              Post("/statusmessage", "[]", {Host(), "X-API-Key: demo-mdr-key", "X-API-Key: x"}));
  EXPECT_EQ(status.status, 400) << status.error << status.body;
  ExpectStandardResponse(status, "MSG1009", "X-API-Key: sent 2 times");
  ExpectNothingStored(ref);
  EXPECT_EQ(sink_.WaitFor(1, 5s).size(), 1u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink_.count(), 1u) << "only the valid send was delivered";
}

TEST_F(Wire, AnAbsoluteFormTargetIsServedLikeItsOriginForm) {
  const std::string origin = "http://127.0.0.1:" + std::to_string(hub_->http_port());
  const std::string ref = "S-IF-061-1100000001-SDS-20261122-abs";
  // The authority of the target counts, not the Host header (RFC 9112 section 3.2.2).
  HttpResult sent =
      RawHttp(hub_->http_port(), Post(origin + "/dip-channel/IF-061", MdrStart(ref),
                                      {"Host: elsewhere.example", "X-API-Key: demo-sds-key"}));
  EXPECT_EQ(sent.status, 201) << sent.error << sent.body;
  EXPECT_NE(sent.body.find("MSG0000"), std::string::npos) << sent.body;
  ASSERT_EQ(sink_.WaitFor(1, 5s).size(), 1u) << hub_->Log();
  // A query and an upper-case scheme; a GET of /healthz in absolute form.
  HttpResult dup = RawHttp(
      hub_->http_port(),
      Post("HTTP://127.0.0.1:" + std::to_string(hub_->http_port()) + "/dip-channel/IF-061?x=1",
           MdrStart(ref), {Host(), "X-API-Key: demo-sds-key"}));
  EXPECT_EQ(dup.status, 400) << dup.error << dup.body;
  EXPECT_NE(dup.body.find("MSG1006"), std::string::npos) << "routed as a send: " << dup.body;
  HttpResult health =
      RawHttp(hub_->http_port(), "GET " + origin + "/healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(health.status, 200) << health.error << health.body;
}

TEST_F(Wire, TheParsersOwnRefusalsAreStandardResponsesWithACode) {
  HttpResult line = RawHttp(hub_->http_port(), "POST /dip-channel/IF-061 HTTP/1.1 junk\r\n\r\n");
  EXPECT_EQ(line.status, 400) << line.error << line.body;
  ExpectStandardResponse(line, "MSG1000", "HTTP request: malformed");

  HttpResult header = RawHttp(hub_->http_port(),
                              "POST /dip-channel/IF-061 HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n"
                              "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(header.status, 400) << header.error << header.body;
  ExpectStandardResponse(header, "MSG1000", "HTTP request: malformed");

  HttpResult big_headers =
      RawHttp(hub_->http_port(), "POST /dip-channel/IF-061 HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                     std::string(40 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(big_headers.status, 431) << big_headers.error << big_headers.body;
  ExpectStandardResponse(big_headers, "MSG1000", "request headers: larger than 32 KiB");

  HttpResult big_body = RawHttp(hub_->http_port(),
                                "POST /dip-channel/IF-061 HTTP/1.1\r\nHost: x\r\nX-API-Key: "
                                "demo-sds-key\r\nContent-Length: 20000000\r\n\r\n[");
  EXPECT_EQ(big_body.status, 413) << big_body.error << big_body.body;
  ExpectStandardResponse(big_body, "MSG1000", "body: larger than http.max_body_bytes");

  EXPECT_EQ(hub_->Call("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace diphub::testing
