// nats-peer: the peer side of bench/peers.sh. Publishes the same signed-size IF-064 messages
// diphub-load sends (one message per publish, ~3 KB) to a NATS JetStream stream on file storage
// with `--inflight` asynchronous publishes outstanding, consumes them with a push consumer
// (explicit acks), and reports the same figures as diphub-load: publish -> stored ack and
// publish -> delivery throughput and percentiles. Exits 1 when a message is lost or duplicated.
#include <nats/nats.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "bench/load/histogram.h"
#include "bench/load/messages.h"

namespace {

using diphub::load::Histogram;
using Clock = std::chrono::steady_clock;

struct Run {
  explicit Run(std::uint64_t n) : sent_at(n), seen(n) {}
  std::int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin).count();
  }
  const Clock::time_point origin = Clock::now();
  std::vector<std::atomic<std::int64_t>> sent_at;
  std::vector<std::atomic<std::uint8_t>> seen;
  std::atomic<std::uint64_t> acked{0}, failed{0}, delivered{0}, duplicates{0};
  std::atomic<std::int64_t> last_ack_us{0}, last_delivery_us{0};
  std::mutex mu;
  Histogram ack, delivery;  // guarded by mu
};

std::int64_t SequenceOf(natsMsg* msg) {
  std::int64_t seq = -1;
  const std::string_view data(natsMsg_GetData(msg),
                              static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  diphub::load::ForEachDeliveredSequence(
      data, [&](std::uint64_t s) { seq = static_cast<std::int64_t>(s); });
  return seq;
}

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void* closure) {
  Run& run = *static_cast<Run*>(closure);
  const std::int64_t seq = SequenceOf(msg);
  if (pa != nullptr && seq >= 0) {
    const std::int64_t now = run.Now();
    {
      std::lock_guard lock(run.mu);
      run.ack.Record(now - run.sent_at[static_cast<std::size_t>(seq)].load());
    }
    run.acked.fetch_add(1);
    run.last_ack_us.store(now);
  } else {
    run.failed.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  Run& run = *static_cast<Run*>(closure);
  const std::int64_t seq = SequenceOf(msg);
  if (seq >= 0 && static_cast<std::size_t>(seq) < run.seen.size()) {
    if (run.seen[static_cast<std::size_t>(seq)].exchange(1) != 0) {
      run.duplicates.fetch_add(1);
    } else {
      const std::int64_t now = run.Now();
      {
        std::lock_guard lock(run.mu);
        run.delivery.Record(now - run.sent_at[static_cast<std::size_t>(seq)].load());
      }
      run.delivered.fetch_add(1);
      run.last_delivery_us.store(now);
    }
  }
  natsMsg_Ack(msg, nullptr);
  natsMsg_Destroy(msg);
}

int Fail(const char* what, natsStatus s) {
  std::fprintf(stderr, "nats-peer: %s: %s\n", what, natsStatus_GetText(s));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "nats://127.0.0.1:4222", json_path;
  std::uint64_t messages = 20000;
  std::int64_t inflight = 200;
  CLI::App app{"nats-peer: the NATS JetStream side of bench/peers.sh"};
  app.add_option("--url", url, "NATS server URL")->capture_default_str();
  app.add_option("--messages", messages, "messages to publish")->capture_default_str();
  app.add_option("--inflight", inflight, "asynchronous publishes outstanding")
      ->capture_default_str();
  app.add_option("--json", json_path, "write the result as JSON here");
  CLI11_PARSE(app, argc, argv);

  Run run(messages);
  natsConnection* nc = nullptr;
  if (natsStatus s = natsConnection_ConnectTo(&nc, url.c_str()); s != NATS_OK) {
    return Fail("connect", s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = inflight;
  jo.PublishAsync.AckHandler = OnAck;
  jo.PublishAsync.AckHandlerClosure = &run;
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, nc, &jo); s != NATS_OK) {
    return Fail("jetstream", s);
  }
  js_DeleteStream(js, "DIPLOAD", nullptr, nullptr);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = "DIPLOAD";
  const char* subjects[] = {"dip.load"};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  jsStreamInfo* si = nullptr;
  if (natsStatus s = js_AddStream(&si, js, &sc, nullptr, nullptr); s != NATS_OK) {
    return Fail("add stream", s);
  }
  jsStreamInfo_Destroy(si);
  natsSubscription* sub = nullptr;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.ManualAck = true;
  if (natsStatus s = js_Subscribe(&sub, js, "dip.load", OnMessage, &run, nullptr, &so, nullptr);
      s != NATS_OK) {
    return Fail("subscribe", s);
  }
  natsSubscription_SetPendingLimits(sub, -1, -1);

  const std::string mdr = diphub::load::MdrId(0), sds = diphub::load::SdsId(0);
  const std::int64_t t0 = run.Now();
  std::string body;
  for (std::uint64_t seq = 0; seq < messages; ++seq) {
    body.clear();
    body += '[';
    const std::string mpan = diphub::load::MpanCore(seq % 1000);
    diphub::load::AppendConsumption({.mdr = mdr,
                                     .sds = sds,
                                     .mpan = mpan,
                                     .day = "2026-11-21",
                                     .stamp = "2026-11-22T00:00:00+00:00",
                                     .sequence = seq},
                                    &body);
    body += ']';
    run.sent_at[seq].store(run.Now());
    natsStatus s;
    while ((s = js_PublishAsync(js, "dip.load", body.data(), static_cast<int>(body.size()),
                                nullptr)) == NATS_TIMEOUT) {
    }
    if (s != NATS_OK) return Fail("publish", s);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  js_PublishAsyncComplete(js, &po);
  for (int i = 0; i < 600 && run.delivered.load() + run.failed.load() < messages; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double send_s = static_cast<double>(run.last_ack_us.load() - t0) / 1e6;
  const double wall_s =
      static_cast<double>(std::max(run.last_ack_us.load(), run.last_delivery_us.load()) - t0) / 1e6;
  const bool ok = run.acked == messages && run.delivered == messages && run.duplicates == 0;
  std::lock_guard lock(run.mu);
  std::printf("nats-peer: JetStream file storage, %llu messages of %zu bytes, %lld in flight\n",
              static_cast<unsigned long long>(messages), body.size(),
              static_cast<long long>(inflight));
  std::printf("  acknowledged %llu in %.2f s = %.0f msg/s\n",
              static_cast<unsigned long long>(run.acked.load()), send_s,
              static_cast<double>(run.acked.load()) / std::max(send_s, 1e-9));
  std::printf("  delivered    %llu in %.2f s = %.0f msg/s\n",
              static_cast<unsigned long long>(run.delivered.load()), wall_s,
              static_cast<double>(run.delivered.load()) / std::max(wall_s, 1e-9));
  std::printf("  publish -> ack      p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms\n",
              run.ack.Percentile(0.5) / 1e3, run.ack.Percentile(0.99) / 1e3,
              run.ack.Percentile(0.999) / 1e3);
  std::printf("  publish -> delivery p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms\n",
              run.delivery.Percentile(0.5) / 1e3, run.delivery.Percentile(0.99) / 1e3,
              run.delivery.Percentile(0.999) / 1e3);
  std::printf("  failed %llu, duplicates %llu\n",
              static_cast<unsigned long long>(run.failed.load()),
              static_cast<unsigned long long>(run.duplicates.load()));
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "{\"transport\":\"nats-jetstream\",\"messages\":" << messages
        << ",\"acked\":" << run.acked.load() << ",\"delivered\":" << run.delivered.load()
        << ",\"ack_per_second\":" << static_cast<double>(run.acked.load()) / std::max(send_s, 1e-9)
        << ",\"delivered_per_second\":"
        << static_cast<double>(run.delivered.load()) / std::max(wall_s, 1e-9)
        << ",\"send_to_ack\":{\"p50_us\":" << run.ack.Percentile(0.5)
        << ",\"p99_us\":" << run.ack.Percentile(0.99)
        << "},\"send_to_delivery\":{\"p50_us\":" << run.delivery.Percentile(0.5)
        << ",\"p99_us\":" << run.delivery.Percentile(0.99) << "},\"ok\":" << (ok ? "true" : "false")
        << "}\n";
  }
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  return ok ? 0 : 1;
}
