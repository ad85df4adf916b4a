// libFuzzer target: the HTTP request path of the http adapter. Raw bytes from a connection go
// through Beast's request_parser with the server's limits (adapters/http/server.cc), and every
// complete request (several when pipelined) through HandleApiRequest (adapters/http/api.cc):
// routing by path and method, API key and admin token checks, X-DIP signature checks, pubconfig
// and MessageRequest bodies, admin participant and routing bodies, query parameters. The hub
// behind it is a stub HubApi over an empty stub Store, so a run costs microseconds; the target
// checks that every request is answered exactly once with a response Beast can serialise.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/http/api.h"
#include "broker/delivery.h"
#include "broker/delivery_queries.h"
#include "storage/store.h"

namespace diphub {
namespace {

namespace bhttp = boost::beast::http;
using storage::AppointmentRow;
using storage::DeliveryOutcome;
using storage::JournalRow;
using storage::MessageRecord;
using storage::OutboxEntry;

// An empty store: nothing was ever sent.
class EmptyStore : public storage::Store {
 public:
  dip::Result<bool> IsDuplicate(std::string_view, std::string_view) override { return false; }
  dip::Status Append(std::span<const MessageRecord* const>, storage::Durability) override {
    return dip::Status::Ok();
  }
  dip::Result<std::vector<MessageRecord>> GetMessages(
      std::span<const std::uint64_t> seqs) override {
    if (!seqs.empty()) return dip::Status::Io("empty store: no such message");
    return std::vector<MessageRecord>{};
  }
  dip::Result<std::vector<OutboxEntry>> ScanOutbox(std::string_view, std::uint64_t,
                                                   std::size_t) override {
    return std::vector<OutboxEntry>{};
  }
  dip::Result<std::vector<std::string>> OutboxRecipients() override {
    return std::vector<std::string>{};
  }
  dip::Result<std::uint64_t> CountOutbox(std::string_view) override { return std::uint64_t{0}; }
  dip::Result<std::uint64_t> CountRequeued(std::string_view, std::string_view) override {
    return std::uint64_t{0};
  }
  dip::Result<std::optional<OutboxEntry>> GetOutbox(std::string_view, std::uint64_t) override {
    return std::optional<OutboxEntry>{};
  }
  dip::Status RecordOutcomes(std::span<const DeliveryOutcome>) override {
    return dip::Status::Ok();
  }
  dip::Result<std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>> Journal(
      std::string_view) override {
    return std::vector<std::pair<std::uint64_t, std::vector<JournalRow>>>{};
  }
  dip::Result<std::vector<std::uint64_t>> ScanPublished(std::string_view, std::string_view,
                                                        std::int64_t, std::int64_t, std::uint64_t,
                                                        std::size_t) override {
    return std::vector<std::uint64_t>{};
  }
  dip::Status Requeue(std::string_view, std::span<const OutboxEntry>) override {
    return dip::Status::Ok();
  }
  dip::Result<std::vector<DeliveryOutcome>> DeadLetters(std::string_view, std::size_t) override {
    return std::vector<DeliveryOutcome>{};
  }
  dip::Result<std::uint64_t> ClearDeadLetters(std::string_view, bool) override {
    return std::uint64_t{0};
  }
  dip::Result<std::uint64_t> Expire(std::int64_t, std::size_t) override { return std::uint64_t{0}; }
  Stats GetStats() override { return {}; }
  std::uint64_t LastSeq() override { return 0; }
  dip::Status PutParticipantOverride(std::string_view, std::string_view) override {
    return dip::Status::Ok();
  }
  dip::Result<std::vector<std::pair<std::string, std::string>>> ParticipantOverrides() override {
    return std::vector<std::pair<std::string, std::string>>{};
  }
  dip::Status PutAppointments(std::span<const AppointmentRow>) override {
    return dip::Status::Ok();
  }
  dip::Status ScanAppointments(const std::function<bool(const AppointmentRow&)>&) override {
    return dip::Status::Ok();
  }
  dip::Result<std::string> GetMeta(std::string_view) override { return std::string(); }
  dip::Status PutMeta(std::string_view, std::string_view) override { return dip::Status::Ok(); }
};

std::shared_ptr<const routing::Registry> FuzzRegistry() {
  std::vector<routing::Participant> ps(3);
  ps[0].dip_id = "1100000001";
  ps[0].role = "SDS";
  ps[0].mpid = "DSDS";
  ps[0].api_key = "sds-key";
  ps[1].dip_id = "1200000001";
  ps[1].role = "MDR";
  ps[1].mpid = "DMDR";
  ps[1].api_key = "mdr-key";
  ps[2].dip_id = "1300000001";
  ps[2].role = "SUP";
  ps[2].mpid = "DSUP";
  ps[2].api_key = "sup-key";
  auto built = routing::Registry::Build(std::move(ps));
  if (!built.ok()) {
    std::fprintf(stderr, "fuzz registry: %s\n", built.status().ToString().c_str());
    std::abort();
  }
  return std::move(built).value();
}

// Answers at once, as the hub would refuse or accept, without routing or storing anything. The
// send's answer kind follows the body's length so that every status mapping is reached.
class StubHub : public broker::HubApi {
 public:
  StubHub()
      : registry_(FuzzRegistry()),
        scheduler_(&store_, 1, broker::DeliveryOptions{}, nullptr, nullptr, nullptr, nullptr),
        queries_(&store_, &scheduler_) {
    settings_.dip_id = "0000000000";
    settings_.environment_tag = "DEV";
    settings_.admin_token = "fuzz-admin";
    settings_.signatures = "verify-if-present";
  }
  const broker::HubSettings& settings() const override { return settings_; }
  std::shared_ptr<const routing::Registry> registry() const override { return registry_; }
  std::shared_ptr<const dip::Signer> signer() const override { return nullptr; }
  void Submit(broker::SubmitRequest request,
              std::function<void(broker::SubmitResponse)> done) override {
    broker::SubmitResponse r;
    r.kind = static_cast<broker::SubmitResponse::Kind>(request.body.size() % 7);
    r.body = "{}";
    done(std::move(r));
  }
  broker::SubmitResponse Validate(const broker::SubmitRequest& request,
                                  std::string_view event) override {
    broker::SubmitResponse r;
    r.kind = static_cast<broker::SubmitResponse::Kind>((request.body.size() + event.size()) % 7);
    r.body = "{}";
    return r;
  }
  void SubmitStatus(broker::SubmitRequest request,
                    std::function<void(broker::SubmitResponse)> done) override {
    Submit(std::move(request), std::move(done));
  }
  broker::DeliveryQueries& queries() override { return queries_; }
  void KickDelivery(std::string_view) override {}
  std::string NotReady() const override { return ""; }
  dip::Status PutParticipant(std::string_view, std::string_view) override {
    return dip::Status::Ok();
  }
  dip::Status DeleteParticipant(std::string_view) override { return dip::Status::Ok(); }
  dip::Status SetWebhook(std::string_view, std::string_view,
                         std::optional<routing::Webhook>) override {
    return dip::Status::Ok();
  }
  dip::Status SetPairing(std::string_view, std::string_view, bool) override {
    return dip::Status::Ok();
  }
  dip::Status SetOptIn(std::string_view, std::string_view, bool) override {
    return dip::Status::Ok();
  }
  std::string RoutingJson() override { return "{}"; }
  dip::Result<std::size_t> ImportAppointments(std::string_view csv) override { return csv.size(); }
  void QueryMpan(std::string_view, std::optional<std::string> caller,
                 std::function<void(int, std::string)> done) override {
    done(caller ? 403 : 404, "{}");
  }

 private:
  broker::HubSettings settings_;
  std::shared_ptr<const routing::Registry> registry_;
  EmptyStore store_;
  broker::DeliveryScheduler scheduler_;
  broker::DeliveryQueries queries_;
};

class CountingResponder : public adapters::http::Responder {
 public:
  void Send(adapters::http::Response response) override {
    ++answers;
    response.prepare_payload();
    // Serialise it as the session would: Beast must accept every header the handler set.
    std::string wire;
    bhttp::response_serializer<bhttp::string_body> sr(response);
    boost::beast::error_code ec;
    do {
      sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
        for (const auto& b : buffers) wire.append(static_cast<const char*>(b.data()), b.size());
        sr.consume(boost::asio::buffer_size(buffers));
      });
    } while (!ec && !sr.is_done());
    if (ec || !wire.starts_with("HTTP/1.1 ")) {
      std::fprintf(stderr, "response does not serialise: %s\n", ec.message().c_str());
      std::abort();
    }
  }
  int answers = 0;
};

}  // namespace
}  // namespace diphub

// broker/delivery.cc (threads, asio, prometheus-cpp) is not linked: the scheduler behind
// DeliveryQueries is this inert stand-in, so requeue and pause reach no-ops.
namespace diphub::broker {
struct DeliveryScheduler::Shard {};
class DeliveryScheduler::Recorder {};
DeliveryScheduler::DeliveryScheduler(storage::Store* store, std::size_t, DeliveryOptions options,
                                     RegistryFn registry, AdapterFn adapter_for, Probe* probe,
                                     SlaTracker* sla)
    : store_(store),
      options_(std::move(options)),
      registry_(std::move(registry)),
      adapter_for_(std::move(adapter_for)),
      probe_(probe),
      sla_(sla) {}
DeliveryScheduler::~DeliveryScheduler() = default;
void DeliveryScheduler::SetPaused(std::string_view, bool) {}
void DeliveryScheduler::Reload(std::string_view) {}
}  // namespace diphub::broker

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace diphub;
  static StubHub* hub = new StubHub();
  static dip::Verifier* verifier = new dip::Verifier();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // Pipelined requests on one connection, as the server reads them.
  for (int i = 0; i < 8 && !rest.empty(); ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(1 << 20);
    parser.header_limit(32 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == bhttp::error::need_more) {
      parser.put_eof(ec);
      used = rest.size();
    }
    if (ec || !parser.is_done()) return 0;
    rest.remove_prefix(std::min(used, rest.size()));
    auto responder = std::make_shared<CountingResponder>();
    adapters::http::HandleApiRequest(*hub, *verifier, parser.release(), responder);
    if (responder->answers != 1) {
      std::fprintf(stderr, "request answered %d times\n", responder->answers);
      std::abort();
    }
  }
  return 0;
}
