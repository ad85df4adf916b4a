// The HTTP server's cost per request: signed POSTs of IF-064 messages (the load generator's,
// ~3.4 KB each) over one kept-alive loopback connection to a WebhookSink, which reads each with
// adapters/http's Server, checks its X-DIP signature (content hash, cached certificate, RSA
// verify) and answers 201. CPU is the whole process's (client and server threads), per POST;
// it does not pass or fail on a time. Run:
//   build/bench/http_bench               (figures in docs/performance.md)
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "adapters/http/webhook_sink.h"
#include "bench/load/messages.h"
#include "dip/signature.h"

namespace {

using namespace diphub;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// A JSON array of `n` IF-064 messages from the load generator's builder.
std::string Body(std::size_t n) {
  std::string body = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) body += ',';
    load::AppendConsumption({.mdr = "1200000001",
                             .sds = "1100000001",
                             .mpan = "2000000000001",
                             .day = "2026-11-22",
                             .stamp = "2026-11-22T09:30:00.000Z",
                             .sequence = i},
                            &body);
  }
  return body + "]";
}

// The sink and a signer, made once: RSA key generation takes a while.
struct Fixture {
  Fixture() {
    auto kc = dip::GenerateSelfSigned("http_bench");
    if (!kc.ok()) throw std::runtime_error(kc.status().ToString());
    auto s = dip::Signer::FromPem(kc.value().key_pem, kc.value().cert_pem);
    if (!s.ok()) throw std::runtime_error(s.status().ToString());
    signer = s.value();
    sink = std::make_unique<adapters::http::WebhookSink>(
        "127.0.0.1", 0, [this](const adapters::http::SinkDelivery& d) {
          if (!d.signature.ok()) bad.fetch_add(1);
          return 201;
        });
    if (dip::Status st = sink->Start(); !st.ok()) throw std::runtime_error(st.ToString());
  }
  std::shared_ptr<const dip::Signer> signer;
  std::unique_ptr<adapters::http::WebhookSink> sink;
  std::atomic<int> bad{0};
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

// Arg: messages per POST (50 is the load generator's batch, ~170 KB).
void BM_SinkPost(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string body = Body(static_cast<std::size_t>(state.range(0)));
  const std::string url = f.sink->Url();
  dip::SignatureHeaders h = f.signer->SignRequest("POST", url, body, "2026-11-22T09:30:00.000Z");
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/dip", 11};
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(f.sink->port()));
  req.set(bhttp::field::content_type, "application/json");
  req.set("X-DIP-Signature-Date", h.date);
  req.set("X-DIP-Content-Hash", h.content_hash);
  req.set("X-DIP-Signature-Certificate", h.certificate);
  req.set("X-DIP-Signature", h.signature);
  req.body() = body;
  req.prepare_payload();

  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), f.sink->port()});
  boost::beast::flat_buffer buffer;
  buffer.reserve(4096);
  const int bad_before = f.bad.load();
  for (auto _ : state) {
    bhttp::write(socket, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    if (res.result_int() != 201) state.SkipWithError("the sink did not answer 201");
  }
  if (f.bad.load() != bad_before) state.SkipWithError("a POST's signature did not verify");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_SinkPost)->Arg(1)->Arg(50)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
