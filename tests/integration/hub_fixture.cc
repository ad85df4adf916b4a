#include "tests/integration/hub_fixture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <sstream>
#include <thread>

#include "adapters/http/webhook_sink.h"

namespace diphub::testing {

RecordingSink::RecordingSink(std::uint16_t port) {
  sink_ = std::make_unique<adapters::http::WebhookSink>(
      "127.0.0.1", port, [this](const adapters::http::SinkDelivery& d) {
        std::lock_guard lock(mu_);
        received_.push_back(d);
        cv_.notify_all();
        return status_;
      });
  dip::Status s = sink_->Start();
  if (!s.ok()) throw std::runtime_error("webhook sink: " + s.ToString());
}

RecordingSink::~RecordingSink() = default;

std::uint16_t RecordingSink::port() const { return sink_->port(); }

std::string RecordingSink::Url() const { return sink_->Url(); }

void RecordingSink::set_status(int status) {
  std::lock_guard lock(mu_);
  status_ = status;
}

std::size_t RecordingSink::count() {
  std::lock_guard lock(mu_);
  return received_.size();
}

std::vector<adapters::http::SinkDelivery> RecordingSink::WaitFor(std::size_t n,
                                                                 std::chrono::milliseconds t) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, t, [&] { return received_.size() >= n; });
  return received_;
}

HubProcess::HubProcess(const TempDir& dir, std::string mdr_webhook, std::string extra_yaml)
    : dir_(dir),
      config_(dir.File("diphub.yaml")),
      log_(dir.File("diphub.log")),
      ready_(dir.File("ready")) {
  std::ostringstream y;
  y << "hub:\n  dip_id: \"0000000000\"\n  environment_tag: DEV\n  shards: 2\n"
    << "storage:\n  data_dir: " << dir.File("data") << "\n  durability: fsync\n"
    << "auth:\n  require_api_key: true\n  admin_token: test-admin\n"
    << "  signatures: verify-if-present\n"
    << "delivery:\n  initial_backoff_ms: 50\n  max_backoff_ms: 200\n  max_attempts: 1000\n"
    << "log:\n  level: debug\n"
    // The tests' webhook receivers are on loopback, which the hub refuses unless allowed.
    << "webhooks:\n  allow_internal: [127.0.0.0/8, \"::1/128\"]\n"
    << "routing:\n  pairings: [{sds: \"1100000001\", mdr: \"1200000001\"}]\n"
    << "participants:\n"
    << "  - {dip_id: \"1100000001\", role: SDS, mpid: DSDS, api_key: demo-sds-key}\n"
    << "  - dip_id: \"1200000001\"\n    role: MDR\n    mpid: DMDR\n    api_key: demo-mdr-key\n";
  if (!mdr_webhook.empty()) y << "    webhooks:\n      \"*\": " << mdr_webhook << "\n";
  y << "  - {dip_id: \"1300000001\", role: SUP, mpid: DSUP, api_key: demo-sup-key}\n";
  y << extra_yaml;
  WriteFile(config_, y.str());
}

HubProcess::~HubProcess() = default;

bool HubProcess::EditConfig(const std::string& from, const std::string& to) {
  std::string text = ReadFile(config_);
  auto pos = text.find(from);
  if (pos == std::string::npos) return false;
  text.replace(pos, from.size(), to);
  WriteFile(config_, text);
  return true;
}

std::vector<std::string> RefsIn(const std::vector<adapters::http::SinkDelivery>& deliveries) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  for (const auto& d : deliveries) {
    simdjson::dom::array messages;
    if (parser.parse(d.body).get_array().get(messages)) continue;
    for (simdjson::dom::element m : messages) {
      std::string_view ref;
      if (!m.at_pointer("/payload/CommonBlock/S1/senderUniqueReference").get_string().get(ref)) {
        out.emplace_back(ref);
      }
    }
  }
  return out;
}

bool HubProcess::Start(std::string* error, std::chrono::seconds ready_timeout) {
  std::remove(ready_.c_str());
  process_ = std::make_unique<ChildProcess>(
      DIPHUB_BINARY,
      std::vector<std::string>{"--config", config_, "--http-listen", "127.0.0.1:0",
                               "--metrics-listen", "127.0.0.1:0", "--ready-file", ready_},
      log_);
  if (!process_->Start()) {
    *error = "fork failed";
    return false;
  }
  std::string ready;
  auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (ready.empty() && std::chrono::steady_clock::now() < deadline) {
    ready = WaitForFile(ready_, std::chrono::milliseconds(100));
    if (ready.empty() && !process_->running()) break;
    if (ready.empty()) {
      if (auto code = process_->Wait(std::chrono::milliseconds(0))) {
        *error = "diphub exited with " + std::to_string(*code) + "; log:\n" + Log();
        return false;
      }
    }
  }
  if (ready.empty()) {
    *error = "no ready file within " + std::to_string(ready_timeout.count()) + " s; log:\n" + Log();
    return false;
  }
  std::istringstream lines(ready);
  for (std::string line; std::getline(lines, line);) {
    auto port_of = [&line] {
      return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    };
    if (line.starts_with("http=")) http_port_ = port_of();
    if (line.starts_with("metrics=")) metrics_port_ = port_of();
    if (line.starts_with("zmq=")) zmq_endpoint_ = line.substr(4);
  }
  return http_port_ != 0;
}

void HubProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

int HubProcess::Terminate() {
  process_->Signal(SIGTERM);
  return process_->Wait(std::chrono::seconds(20)).value_or(-1);
}

bool HubProcess::WaitForMetric(const std::string& line_prefix, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResult r = HttpRequest("127.0.0.1", metrics_port_, "GET", "/metrics");
    if (r.body.starts_with(line_prefix) || r.body.find("\n" + line_prefix) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

HttpResult HubProcess::Send(const std::string& channel, const std::string& body,
                            const std::string& api_key) {
  std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
  if (!api_key.empty()) headers["X-API-Key"] = api_key;
  return HttpRequest("127.0.0.1", http_port_, "POST", "/dip-channel/" + channel, body, headers);
}

HttpResult HubProcess::Call(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  return HttpRequest("127.0.0.1", http_port_, method, target, body, headers);
}

HttpResult RawHttp(std::uint16_t port, const std::string& bytes,
                   std::chrono::milliseconds timeout) {
  HttpResult out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    out.error = "connect failed";
    return out;
  }
  // Written in full even when the server answers early (413): a failed write ends the sending.
  for (std::size_t at = 0; at < bytes.size();) {
    ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;
    at += static_cast<std::size_t>(n);
  }
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t need = std::string::npos;  // total bytes of the response, once the head is read
  char buf[8192];
  while (std::chrono::steady_clock::now() < deadline && in.size() < need) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    std::size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos && need == std::string::npos) {
      std::string head = in.substr(0, head_end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::size_t cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos) need = head_end + 4 + std::stoull(head.substr(cl + 17));
    }
  }
  ::close(fd);
  std::size_t head_end = in.find("\r\n\r\n");
  if (in.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos) {
    out.error = "no HTTP response: \"" + in.substr(0, 200) + "\"";
    return out;
  }
  out.status = std::stoi(in.substr(9, 3));
  out.body = in.substr(head_end + 4);
  std::istringstream lines(in.substr(0, head_end));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::size_t colon = line.find(':'); colon != std::string::npos) {
      std::size_t v = line.find_first_not_of(' ', colon + 1);
      out.headers[line.substr(0, colon)] = v == std::string::npos ? "" : line.substr(v);
    }
  }
  return out;
}

std::string MdrStart(const std::string& reference) {
  return R"([{"payload":{"CommonBlock":{
  "S0":{"interfaceID":"IF-061","schemaVersion":"011","eventCode":"[MDRStart]"},
  "S1":{"environmentTag":"DEV","subText":null,"senderUniqueReference":")" +
         reference + R"(",
        "senderTimestamp":"2026-11-22T09:30:00+00:00","senderDIPID":"1100000001",
        "senderRoleID":"SDS","senderCorrelationID":"CI-)" +
         reference + R"(",
        "DIPConnectionProviderID":null},
  "A0":{"primaryRecipients":["1200000001"],"secondaryRecipients":[],"always":[]},
  "M0":{"MPANCore":"2000056535971","distributorDIPID":"1009012345","GSPGroupID":"_K"}},
 "CustomBlock":{
  "B019":{"assignedMDRDIPID":"1200000001","assignedMDRMPID":"DMDR",
          "assignedMDREffectiveFromDate":"2026-11-23T00:00:00+00:00"},
  "B078":{"energyDirection":"I"},
  "B025":{"energisationStatus":"E","energisationStatusEffectiveFromDate":"2024-01-01T00:00:00+00:00"},
  "B068":{"consentGranularity":"H","consentGranularityEffectiveFromDate":"2024-01-01T00:00:00+00:00"}}}}])";
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << "fixture text not found: " << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

}  // namespace diphub::testing
