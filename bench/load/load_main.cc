// diphub-load: plays SDS-MDR pairs against a real diphub and measures it end to end. It starts
// the hub (the diphub binary built beside it, or --diphub) on a configuration it writes: one SDS
// and one MDR per pair, paired for BP017, each MDR appointed to its share of the MPANs, every
// sender with its own certificate and signatures required. The MDRs send signed, schema-valid
// IF-064 consumption (48 periods, ~3 KB) over HTTP keep-alive connections; a webhook receiver
// verifies each delivery's signature and counts every message by its senderUniqueReference.
// Reports throughput and latency percentiles of send -> ack and send -> delivery, with a live
// progress line, and writes a JSON result. Exits 1 when a message was lost, duplicated, refused
// or badly signed, so a smoke run is a correctness check.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>
#include <tuple>

#include "adapters/http/webhook_sink.h"
#include "adapters/zmq/client.h"
#include "bench/load/cpu_time.h"
#include "bench/load/histogram.h"
#include "bench/load/hub_runner.h"
#include "bench/load/load.h"
#include "bench/load/messages.h"
#include "dip/dip_time.h"
#include "dip/json_writer.h"

namespace {

using namespace diphub::load;  // NOLINT: a program's main file
using diphub::dip::Status;

struct Options {
  Plan plan;
  std::string transport = "http";
  std::string diphub = DIPHUB_BINARY;
  std::string work_dir;  // default: a fresh directory under the system temp dir
  std::string json_path;
  bool national_day = false;
  bool keep = false;
  int drain_seconds = 120;
  double warmup_seconds = 0;  // at --rate, this long of warm-up messages before --messages
  std::size_t shards = 0;
  std::uint64_t zmq_credit_bytes = 0;  // 0: the hub's default
  int zmq_io_threads = -1;             // -1: the hub's default (zmq.io_threads)
  // storage.engine jetstream on these servers (comma-separated nats:// URLs); "" = rocksdb
  std::string jetstream_servers;
  int jetstream_replicas = 1;
  std::string jetstream_stream = "DIPHUB_LOAD";
  std::string zmq_security = "curve";
  std::string storage_yaml;  // a file of keys added to the hub's storage section
  std::string append_yaml;   // a file of top-level sections appended to the hub's config
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Yaml(const Options& o, const std::vector<Sender>& senders,
                 const std::vector<std::string>& cert_files, const std::string& data_dir,
                 const std::string& csv, const std::string& webhook,
                 const std::string& hub_zmq_secret) {
  const bool zmq = o.transport == "zmq";
  std::string y;
  if (zmq) {
    y += "adapters: [http, zmq]\nzmq:\n  listen: tcp://127.0.0.1:0\n  secret_key: \"" +
         hub_zmq_secret + "\"\n";
    if (o.zmq_security != "curve") y += "  security: " + o.zmq_security + "\n";
    if (o.zmq_credit_bytes != 0)
      y += "  credit_bytes: " + std::to_string(o.zmq_credit_bytes) + "\n";
    if (o.zmq_io_threads >= 0) y += "  io_threads: " + std::to_string(o.zmq_io_threads) + "\n";
  }
  y += "hub:\n  dip_id: \"0000000000\"\n  environment_tag: DEV\n";
  y += "  shards: " + std::to_string(o.shards) + "\n";
  y += "storage:\n  data_dir: " + data_dir + "\n  durability: fsync\n";
  if (!o.jetstream_servers.empty()) {
    y += "  engine: jetstream\n  jetstream:\n    servers: [" + o.jetstream_servers +
         "]\n    replicas: " + std::to_string(o.jetstream_replicas) +
         "\n    stream: " + o.jetstream_stream + "\n    subject: load." + o.jetstream_stream + "\n";
  }
  if (!o.storage_yaml.empty()) {  // indented under storage:
    std::istringstream lines(Slurp(o.storage_yaml));
    for (std::string line; std::getline(lines, line);) y += "  " + line + "\n";
  }
  y += "auth:\n  require_api_key: true\n  admin_token: load-admin-token\n";
  y += "  signatures: require\n";
  y += "log:\n  level: warn\n";
  y += "webhooks:\n  allow_internal: [127.0.0.0/8]\n";  // the receiver is on loopback
  y += "participants:\n";
  for (std::size_t k = 0; k < senders.size(); ++k) {
    const Sender& s = senders[k];
    y += "  - dip_id: \"" + s.sds + "\"\n    role: SDS\n    api_key: " + s.sds_api_key + "\n";
    if (zmq) {
      y += "    adapter: zmq\n    zmq_public_key: \"" + s.sds_zmq_public_key + "\"\n";
    } else {
      y += "    webhooks:\n      \"*\": " + webhook + "/" + s.sds + "\n";
    }
    y += "  - dip_id: \"" + s.mdr + "\"\n    role: MDR\n    api_key: " + s.api_key +
         "\n    certificate_file: " + cert_files[k] + "\n";
    if (zmq) y += "    zmq_public_key: \"" + s.zmq_public_key + "\"\n";
  }
  y += "routing:\n  appointments_csv: " + csv + "\n  pairings:\n";
  for (const Sender& s : senders) {
    y += "    - {sds: \"" + s.sds + "\", mdr: \"" + s.mdr + "\"}\n";
  }
  if (!o.append_yaml.empty()) y += Slurp(o.append_yaml);
  return y;
}

// One appointment row per MPAN: its MDR. Progress on stderr for big sets.
Status WriteAppointments(const Options& o, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::Config("cannot write " + path);
  std::fputs("MPANCore,role,DIPID,effectiveFromDate\n", f);
  const std::size_t pairs = o.plan.pairs;
  for (std::uint64_t i = 0; i < o.plan.mpans; ++i) {
    std::fprintf(f, "%s,MDR,%s,2020-01-01\n", MpanCore(i).c_str(), MdrId(i % pairs).c_str());
    if (i % 5'000'000 == 4'999'999) {
      std::fprintf(stderr, "diphub-load: writing appointments %llu / %llu\n",
                   static_cast<unsigned long long>(i + 1),
                   static_cast<unsigned long long>(o.plan.mpans));
    }
  }
  if (std::fclose(f) != 0) return Status::Config("cannot write " + path);
  return Status::Ok();
}

long long I(std::uint64_t v) { return static_cast<long long>(v); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

void Percentiles(diphub::dip::JsonWriter& w, const char* name, const Histogram& h) {
  w.Key(name).BeginObject();
  w.Key("count").Int(I(h.count()));
  w.Key("p50_us").Int(I(h.Percentile(0.50)));
  w.Key("p99_us").Int(I(h.Percentile(0.99)));
  w.Key("p999_us").Int(I(h.Percentile(0.999)));
  w.Key("max_us").Int(I(h.max()));
  w.EndObject();
}

std::string Ms(std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

// The hub's diphub_stage_seconds histograms (docs/metrics.md), read from its /metrics before
// it stops: per stage, the count and the bucket bounds holding the 50th and 99th percentiles.
void PrintHubStages(const std::string& metrics) {
  struct Stage {
    std::string name;
    std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
  };
  std::vector<Stage> stages;
  constexpr std::string_view kPrefix = "diphub_stage_seconds_bucket{";
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(kPrefix, 0) != 0) continue;
    const std::size_t s = line.find("stage=\"");
    const std::size_t le = line.find("le=\"");
    const std::size_t close = line.rfind('}');
    if (s == std::string::npos || le == std::string::npos || close == std::string::npos) continue;
    const std::string name = line.substr(s + 7, line.find('"', s + 7) - s - 7);
    const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
    const double count = std::atof(line.c_str() + close + 1);
    if (stages.empty() || stages.back().name != name) stages.push_back({name, {}});
    stages.back().buckets.push_back(
        {bound == "+Inf" ? std::numeric_limits<double>::infinity() : std::atof(bound.c_str()),
         count});
  }
  for (const Stage& st : stages) {
    const double total = st.buckets.empty() ? 0 : st.buckets.back().second;
    if (total == 0) continue;
    auto at = [&](double q) {
      for (const auto& [le, c] : st.buckets) {
        if (c >= q * total) return le;
      }
      return std::numeric_limits<double>::infinity();
    };
    std::printf("  hub stage %-14s n %-8.0f p50 <= %g ms  p99 <= %g ms  p99.9 <= %g ms\n",
                st.name.c_str(), total, at(0.5) * 1000, at(0.99) * 1000, at(0.999) * 1000);
  }
}

int Run(Options& o) {
  Plan& plan = o.plan;
  if (o.national_day) {
    if (plan.mpans < 30'000'000) plan.mpans = 30'000'000;
    plan.messages = plan.mpans;
  }
  if (o.transport != "http" && o.transport != "zmq") {
    std::fprintf(stderr, "diphub-load: --transport must be http or zmq, got %s\n",
                 o.transport.c_str());
    return 2;
  }
  if (plan.mpans < plan.pairs) {
    std::fprintf(stderr, "diphub-load: --mpans must be at least --pairs\n");
    return 2;
  }
  if (o.warmup_seconds > 0) {
    if (plan.rate <= 0) {
      std::fprintf(stderr,
                   "diphub-load: --warmup-seconds needs --rate (a warm-up at a fixed rate)\n");
      return 2;
    }
    // Whole requests, so no request is half warm-up.
    const auto requests = static_cast<std::uint64_t>(
        std::ceil(plan.rate * o.warmup_seconds / static_cast<double>(plan.batch)));
    plan.warmup = requests * plan.batch;
    plan.messages += plan.warmup;
  }
  if (plan.day.empty()) {
    const auto yesterday = std::chrono::system_clock::now() - std::chrono::hours(24);
    const std::string d = diphub::dip::FormatYyyymmdd(yesterday);
    plan.day = d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
  }

  std::string dir = o.work_dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "diphub-load-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "diphub-load: cannot make a temp directory\n");
      return 2;
    }
    dir = tmpl;
  }
  std::filesystem::create_directories(dir);
  const std::string data_dir = dir + "/data";

  // Senders: one key and certificate per MDR.
  std::vector<Sender> senders;
  std::vector<std::string> cert_files;
  for (std::size_t k = 0; k < plan.pairs; ++k) {
    Sender s;
    s.mdr = MdrId(k);
    s.sds = SdsId(k);
    s.api_key = "load-mdr-" + std::to_string(k);
    s.sds_api_key = "load-sds-" + std::to_string(k);
    auto kc = diphub::dip::GenerateSelfSigned("diphub-load " + s.mdr);
    if (!kc.ok())
      return std::fprintf(stderr, "diphub-load: %s\n", kc.status().ToString().c_str()), 2;
    auto signer = diphub::dip::Signer::FromPem(kc.value().key_pem, kc.value().cert_pem);
    if (!signer.ok())
      return std::fprintf(stderr, "diphub-load: %s\n", signer.status().ToString().c_str()), 2;
    s.signer = signer.value();
    std::tie(s.zmq_public_key, s.zmq_secret_key) = diphub::adapters::zmq::CurveKeyPair();
    std::tie(s.sds_zmq_public_key, s.sds_zmq_secret_key) = diphub::adapters::zmq::CurveKeyPair();
    cert_files.push_back(dir + "/" + s.mdr + "-cert.pem");
    std::ofstream(cert_files.back()) << kc.value().cert_pem;
    senders.push_back(std::move(s));
  }
  const std::string csv = dir + "/appointments.csv";
  if (Status s = WriteAppointments(o, csv); !s.ok()) {
    std::fprintf(stderr, "diphub-load: %s\n", s.ToString().c_str());
    return 2;
  }

  Ledger ledger(plan.messages, plan.warmup);
  // One receiver thread per SDS up to the cores: the hub delivers to each SDS concurrently,
  // and one thread verifying every POST's signature in turn would queue them (the generator's
  // own latency, not the hub's).
  const std::size_t sink_threads =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, plan.pairs);
  diphub::adapters::http::WebhookSink sink(
      "127.0.0.1", 0,
      [&](const auto& d) {
        if (!d.signature.ok()) ledger.BadSignature();
        ForEachDeliveredSequence(d.body, [&](std::uint64_t seq) { ledger.Delivered(seq); });
        ledger.SinkHandled(
            std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - d.received)
                .count());
        return 201;
      },
      {}, sink_threads);
  if (Status s = sink.Start(); !s.ok()) {
    std::fprintf(stderr, "diphub-load: webhook receiver: %s\n", s.ToString().c_str());
    return 2;
  }

  HubRunner hub(o.diphub, dir);
  std::fprintf(stderr, "diphub-load: starting %s (%llu MPANs, work dir %s)\n", o.diphub.c_str(),
               static_cast<unsigned long long>(plan.mpans), dir.c_str());
  const auto start_begin = SteadyClock::now();
  const auto [hub_zmq_public, hub_zmq_secret] = diphub::adapters::zmq::CurveKeyPair();
  if (Status s = hub.Start(Yaml(o, senders, cert_files, data_dir, csv, sink.Url(), hub_zmq_secret),
                           std::chrono::seconds(3600));
      !s.ok()) {
    std::fprintf(stderr, "diphub-load: %s\n", s.ToString().c_str());
    return 2;
  }
  const double start_s = std::chrono::duration<double>(SteadyClock::now() - start_begin).count();
  std::fprintf(stderr, "diphub-load: hub ready in %.1f s on port %u; sending %llu IF-064 %s%s\n",
               start_s, hub.http_port(), static_cast<unsigned long long>(plan.messages),
               o.transport == "zmq"
                   ? ("in SENDs of " + std::to_string(plan.batch) + " over " +
                      std::to_string(plan.pairs) + " zmq connections (credit-window pipelined)")
                         .c_str()
                   : ("in POSTs of " + std::to_string(plan.batch) + " over " +
                      std::to_string(plan.connections) + " connections")
                         .c_str(),
               plan.rate > 0
                   ? (" at " + std::to_string(static_cast<long long>(plan.rate)) + " msg/s").c_str()
                   : " as fast as acknowledged");

  const std::int64_t t0_us = ledger.Now();
  // CPU from here to the last delivery: the hub's (every thread) and this generator's own.
  const double hub_cpu0 = ProcessCpuSeconds(hub.pid()), self_cpu0 = SelfCpuSeconds();
  std::atomic<bool> sending{true};
  std::unique_ptr<ZmqLoad> zmq_load;
  if (o.transport == "zmq") {
    zmq_load = std::make_unique<ZmqLoad>(hub.zmq_endpoint(), hub_zmq_public, senders, ledger,
                                         o.zmq_security == "plain");
    if (Status s = zmq_load->StartReceivers(); !s.ok()) {
      std::fprintf(stderr, "diphub-load: %s\n", s.ToString().c_str());
      return 2;
    }
  }
  std::thread driver([&] {
    if (zmq_load) {
      if (Status s = zmq_load->Send(plan); !s.ok()) ledger.ConnectionError(s.ToString());
    } else {
      RunHttp(plan, senders, hub.http_port(), ledger);
    }
    sending = false;
  });

  // Progress once a second, until every message is answered and every accepted one delivered
  // (or the drain time after the last answer runs out).
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::uint64_t last_acked = 0, last_delivered = 0;
  auto drain_deadline = SteadyClock::time_point::max();
  for (int tick = 1;; ++tick) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const std::uint64_t acked = ledger.acked(), delivered = ledger.delivered();
    std::fprintf(stderr,
                 "%s[%4ds] acked %llu/%llu (%llu/s)  delivered %llu (%llu/s)  refused %llu  "
                 "429s %llu  hub RSS %llu MiB%s",
                 tty ? "\r" : "", tick, static_cast<unsigned long long>(acked),
                 static_cast<unsigned long long>(plan.messages),
                 static_cast<unsigned long long>(acked - last_acked),
                 static_cast<unsigned long long>(delivered),
                 static_cast<unsigned long long>(delivered - last_delivered),
                 static_cast<unsigned long long>(ledger.rejected()),
                 static_cast<unsigned long long>(ledger.overloaded()),
                 static_cast<unsigned long long>(hub.PeakResidentBytes() >> 20),
                 tty ? "   " : "\n");
    last_acked = acked;
    last_delivered = delivered;
    if (!sending && drain_deadline == SteadyClock::time_point::max()) {
      drain_deadline = SteadyClock::now() + std::chrono::seconds(o.drain_seconds);
    }
    if (!sending && (delivered >= acked || SteadyClock::now() > drain_deadline)) break;
  }
  if (tty) std::fputc('\n', stderr);
  driver.join();
  if (zmq_load) zmq_load->Stop();
  // From the first send to the last acknowledgement, and to the last delivery.
  const double send_s = static_cast<double>(ledger.last_ack_us() - t0_us) / 1e6;
  const double wall_s =
      static_cast<double>(std::max(ledger.last_delivery_us(), ledger.last_ack_us()) - t0_us) / 1e6;
  const double hub_cpu = ProcessCpuSeconds(hub.pid()) - hub_cpu0;
  const double self_cpu = SelfCpuSeconds() - self_cpu0;
  const std::uint64_t peak_rss = hub.PeakResidentBytes();
  const std::string metrics = hub.FetchMetrics();
  const std::uint64_t disk = DiskUsage(data_dir);
  const int hub_exit = hub.Stop();

  const Histogram ack = ledger.AckLatency();
  const Histogram delivery = ledger.DeliveryLatency();
  const std::uint64_t lost = ledger.acked() - std::min(ledger.acked(), ledger.delivered());
  const bool ok = ledger.acked() == plan.messages && lost == 0 && ledger.duplicates() == 0 &&
                  ledger.unknown() == 0 && ledger.bad_signatures() == 0 && hub_exit == 0;

  std::printf(
      "diphub-load: %s, %llu messages, POSTs of %zu, %zu connections, %zu pairs, %llu "
      "MPANs\n",
      o.transport == "zmq" ? ("zmq (" + o.zmq_security + ")").c_str() : o.transport.c_str(),
      static_cast<unsigned long long>(plan.messages), plan.batch, plan.connections, plan.pairs,
      static_cast<unsigned long long>(plan.mpans));
  std::printf("  acknowledged %llu in %.2f s = %.0f msg/s (all sent and answered)\n",
              static_cast<unsigned long long>(ledger.acked()), send_s,
              static_cast<double>(ledger.acked()) / std::max(send_s, 1e-9));
  std::printf("  delivered    %llu in %.2f s = %.0f msg/s (until the last delivery)\n",
              static_cast<unsigned long long>(ledger.delivered()), wall_s,
              static_cast<double>(ledger.delivered()) / std::max(wall_s, 1e-9));
  if (plan.warmup > 0) {
    const Histogram wa = ledger.WarmupAckLatency(), wd = ledger.WarmupDeliveryLatency();
    std::printf(
        "  warm-up: the first %llu messages (%.1f s), not in the figures below: send -> ack p50 "
        "%s p99 %s max %s; send -> delivery p50 %s p99 %s max %s\n",
        static_cast<unsigned long long>(plan.warmup), o.warmup_seconds,
        Ms(wa.Percentile(0.5)).c_str(), Ms(wa.Percentile(0.99)).c_str(), Ms(wa.max()).c_str(),
        Ms(wd.Percentile(0.5)).c_str(), Ms(wd.Percentile(0.99)).c_str(), Ms(wd.max()).c_str());
  }
  std::printf("  send -> ack      p50 %s  p99 %s  p99.9 %s  max %s (per POST)\n",
              Ms(ack.Percentile(0.5)).c_str(), Ms(ack.Percentile(0.99)).c_str(),
              Ms(ack.Percentile(0.999)).c_str(), Ms(ack.max()).c_str());
  std::printf("  send -> delivery p50 %s  p99 %s  p99.9 %s  max %s (per message)\n",
              Ms(delivery.Percentile(0.5)).c_str(), Ms(delivery.Percentile(0.99)).c_str(),
              Ms(delivery.Percentile(0.999)).c_str(), Ms(delivery.max()).c_str());
  // The generator's own stages: what of the latency is not the hub's.
  const Histogram late = ledger.SendLateness();
  const Histogram ack_to_delivery = ledger.AckToDelivery();
  const Histogram sink_handling = ledger.SinkHandling();
  if (late.count() > 0) {
    std::printf(
        "  stage: due -> written   p50 %s  p99 %s  p99.9 %s  max %s (generator: signing, "
        "its I/O thread)\n",
        Ms(late.Percentile(0.5)).c_str(), Ms(late.Percentile(0.99)).c_str(),
        Ms(late.Percentile(0.999)).c_str(), Ms(late.max()).c_str());
  }
  std::printf(
      "  stage: ack -> delivery  p50 %s  p99 %s  p99.9 %s  max %s (%llu delivered "
      "before their ack was read)\n",
      Ms(ack_to_delivery.Percentile(0.5)).c_str(), Ms(ack_to_delivery.Percentile(0.99)).c_str(),
      Ms(ack_to_delivery.Percentile(0.999)).c_str(), Ms(ack_to_delivery.max()).c_str(),
      static_cast<unsigned long long>(ledger.delivered_before_ack()));
  if (sink_handling.count() > 0) {
    std::printf(
        "  stage: sink handling    p50 %s  p99 %s  p99.9 %s  max %s (generator: "
        "verifying each webhook POST)\n",
        Ms(sink_handling.Percentile(0.5)).c_str(), Ms(sink_handling.Percentile(0.99)).c_str(),
        Ms(sink_handling.Percentile(0.999)).c_str(), Ms(sink_handling.max()).c_str());
  }
  PrintHubStages(metrics);
  std::printf(
      "  refused %llu, 429/503 answers %llu, connection errors %llu, lost %llu, "
      "duplicates %llu, bad signatures %llu\n",
      static_cast<unsigned long long>(ledger.rejected()),
      static_cast<unsigned long long>(ledger.overloaded()),
      static_cast<unsigned long long>(ledger.connection_errors()),
      static_cast<unsigned long long>(lost), static_cast<unsigned long long>(ledger.duplicates()),
      static_cast<unsigned long long>(ledger.bad_signatures()));
  const double per_msg = 1e6 / static_cast<double>(std::max<std::uint64_t>(ledger.acked(), 1));
  std::printf("  CPU per message: hub %.1f µs (%.2f s), load generator %.1f µs (%.2f s)\n",
              hub_cpu * per_msg, hub_cpu, self_cpu * per_msg, self_cpu);
  std::printf("  hub: start %.1f s, peak resident %.1f MiB, disk %.1f MiB, exit %d\n", start_s,
              static_cast<double>(peak_rss) / (1 << 20), static_cast<double>(disk) / (1 << 20),
              hub_exit);
  if (std::string p = ledger.FirstProblem(); !p.empty())
    std::printf("  first problem: %s\n", p.c_str());

  if (!o.json_path.empty()) {
    diphub::dip::JsonWriter w;
    w.BeginObject();
    w.Key("transport").String(o.transport);
    if (o.transport == "zmq") w.Key("zmq_security").String(o.zmq_security);
    w.Key("messages").Int(I(plan.messages));
    w.Key("batch").Int(I(plan.batch));
    w.Key("connections").Int(I(plan.connections));
    w.Key("pairs").Int(I(plan.pairs));
    w.Key("mpans").Int(I(plan.mpans));
    w.Key("rate").Int(I(static_cast<std::uint64_t>(plan.rate)));
    w.Key("acked").Int(I(ledger.acked()));
    w.Key("delivered").Int(I(ledger.delivered()));
    w.Key("refused").Int(I(ledger.rejected()));
    w.Key("overloaded_answers").Int(I(ledger.overloaded()));
    w.Key("lost").Int(I(lost));
    w.Key("duplicates").Int(I(ledger.duplicates()));
    w.Key("bad_signatures").Int(I(ledger.bad_signatures()));
    w.Key("send_seconds").Raw(Num(send_s));
    w.Key("wall_seconds").Raw(Num(wall_s));
    w.Key("ack_per_second").Raw(Num(static_cast<double>(ledger.acked()) / std::max(send_s, 1e-9)));
    w.Key("delivered_per_second")
        .Raw(Num(static_cast<double>(ledger.delivered()) / std::max(wall_s, 1e-9)));
    w.Key("warmup_messages").Int(I(plan.warmup));
    if (plan.warmup > 0) {
      Percentiles(w, "warmup_send_to_ack", ledger.WarmupAckLatency());
      Percentiles(w, "warmup_send_to_delivery", ledger.WarmupDeliveryLatency());
    }
    Percentiles(w, "send_to_ack", ack);
    Percentiles(w, "send_to_delivery", delivery);
    w.Key("hub_cpu_seconds").Raw(Num(hub_cpu));
    w.Key("load_cpu_seconds").Raw(Num(self_cpu));
    Percentiles(w, "due_to_written", late);
    Percentiles(w, "ack_to_delivery", ack_to_delivery);
    Percentiles(w, "sink_handling", sink_handling);
    w.Key("hub_start_seconds").Raw(Num(start_s));
    w.Key("hub_peak_resident_bytes").Int(I(peak_rss));
    w.Key("hub_disk_bytes").Int(I(disk));
    w.Key("ok").Bool(ok);
    w.EndObject();
    std::ofstream(o.json_path) << w.str() << "\n";
  }
  if (!o.keep && o.work_dir.empty()) std::filesystem::remove_all(dir);
  if (!ok) std::printf("diphub-load: FAILED (see above)\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "diphub-load: plays SDS-MDR pairs against a diphub it starts, sends signed IF-064\n"
      "consumption and reports throughput and latency (docs/performance.md)."};
  app.add_option("--diphub", o.diphub, "the diphub binary to start")->capture_default_str();
  app.add_option("--transport", o.transport,
                 "http (signed POSTs, webhook deliveries) or zmq (CURVE, pipelined SENDs, pushed "
                 "deliveries)")
      ->capture_default_str();
  app.add_option("--pairs", o.plan.pairs, "SDS-MDR pairs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--mpans", o.plan.mpans, "MPANs appointed (loaded into the hub at start)")
      ->capture_default_str();
  app.add_option("--messages", o.plan.messages, "IF-064 messages to send")->capture_default_str();
  app.add_option("--batch", o.plan.batch, "messages per POST")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--connections", o.plan.connections,
                 "concurrent connections (one POST in flight each)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--rate", o.plan.rate, "messages per second (0 = as fast as acknowledged)")
      ->capture_default_str();
  app.add_option("--warmup-seconds", o.warmup_seconds,
                 "with --rate: first send this long of warm-up messages (besides --messages), "
                 "checked like the rest but with their latencies reported apart: a freshly "
                 "started hub and generator fault their memory in and fill their caches")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--day", o.plan.day, "settlement day YYYY-MM-DD (default: yesterday)");
  app.add_option("--shards", o.shards, "the hub's hub.shards (0 = cores)")->capture_default_str();
  app.add_option("--zmq-credit-bytes", o.zmq_credit_bytes,
                 "the hub's zmq.credit_bytes (0 = its default)")
      ->capture_default_str();
  app.add_option("--zmq-io-threads", o.zmq_io_threads,
                 "the hub's zmq.io_threads (libzmq I/O threads; 0 = one per core; default: the "
                 "hub's default)");
  app.add_option("--zmq-security", o.zmq_security,
                 "the hub's zmq.security: curve (encrypted) or plain (DIP ID and API key, "
                 "unencrypted; docs/security.md)")
      ->check(CLI::IsMember({"curve", "plain"}))
      ->capture_default_str();
  app.add_flag("--national-day", o.national_day,
               "a day of GB volume: 30 million MPANs, one IF-064 each");
  app.add_option("--jetstream-servers", o.jetstream_servers,
                 "storage.engine jetstream on these nats:// URLs (comma-separated); the stream "
                 "must be new or empty (e.g. a fresh nats-server -js -sd DIR)");
  app.add_option("--jetstream-replicas", o.jetstream_replicas, "the stream's replicas")
      ->capture_default_str();
  app.add_option("--jetstream-stream", o.jetstream_stream, "the stream name (subject load.NAME)")
      ->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "where the hub's config and data go (kept)");
  app.add_flag("--keep", o.keep, "keep the temp work dir");
  app.add_option("--drain-seconds", o.drain_seconds,
                 "how long to wait for deliveries after the last answer")
      ->capture_default_str();
  app.add_option("--json", o.json_path, "write the result as JSON here");
  app.add_option("--storage-yaml", o.storage_yaml,
                 "a file of keys added under the hub's storage section (e.g. engine: jetstream)")
      ->check(CLI::ExistingFile);
  app.add_option("--append-yaml", o.append_yaml,
                 "a file of top-level sections appended to the hub's configuration (e.g. cluster)")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}
