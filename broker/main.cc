// diphub: a message hub speaking the MHHS DIP protocol.
//   diphub                         start on the embedded default (demo participants, loopback)
//   diphub --config FILE           start with a YAML configuration
//   diphub sink --listen ADDR      run a webhook receiver that prints what it gets
//   diphub scenario FILE           run a scripted flow against one participant under test
//   diphub send / recv / zmq-keygen  a participant's side of the zmq adapter
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "adapters/http/config.h"
#include "adapters/http/webhook_sink.h"
#include "adapters/sim/scenario.h"
#include "adapters/zmq/client.h"
#include "broker/config.h"
#include "broker/hub.h"
#include "broker/leader_lease.h"
#include "broker/probe.h"
#include "broker/standby_server.h"
#include "dip/json_writer.h"
#include "dip/thread_name.h"

namespace {

using diphub::dip::Status;

int Fail(const std::string& what) {
  std::fprintf(stderr, "diphub: %s\n", what.c_str());
  return 2;
}

void SetUpLogging(const diphub::broker::LogOptions& log) {
  auto logger = spdlog::stderr_logger_mt("diphub");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log.level));
  if (log.format == "json") {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
}

// Blocks SIGINT/SIGTERM in every thread started after this, so the main thread can sigwait.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// A standby's view follows the stream (storage.engine jetstream): every cluster.follow_ms it is
// caught up with what the leader wrote (StandbyViewFollower), so that taking over replays only
// the entries since, not everything since the node last led (docs/scaleout.md). The view stays
// open between catch-ups and is closed when the loop stops, before the hub opens it.
class StandbyFollower {
 public:
  // `state` (what the standby's metrics show) must outlive the follower's thread.
  StandbyFollower(const diphub::broker::Config& c, diphub::broker::StandbyFollowState* state)
      : config_(c), state_(state), every_(std::chrono::milliseconds(c.cluster.follow_ms)) {
    if (every_.count() == 0) return;  // cluster.follow_ms: 0, off
    thread_ = std::thread([this] { Run(); });
    diphub::dip::NameThread(thread_, "diphub-follow");
  }
  ~StandbyFollower() { StopWithin(std::chrono::hours(24)); }
  // Asks the loop to stop and waits for it (its catch-up under way included) up to `limit`.
  // False if it is still running then; the thread is then left to the process's exit.
  bool StopWithin(std::chrono::steady_clock::duration limit) {
    if (!thread_.joinable()) return true;  // stopped (or left behind) before
    std::unique_lock lock(mu_);
    stop_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
      if (thread_.joinable()) thread_.detach();
      return false;
    }
    lock.unlock();
    if (thread_.joinable()) thread_.join();
    return true;
  }

 private:
  void Run() {
    bool first = true;
    std::string last_error;
    auto view = diphub::broker::StandbyViewFollower(config_);
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stop_) break;
      }
      const auto began = std::chrono::steady_clock::now();
      auto applied =
          view.ok() ? view.value()->CatchUp() : diphub::dip::Result<std::uint64_t>(view.status());
      const double took =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      if (applied.ok()) {
        state_->applied += applied.value();
        state_->caught_up_at =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        state_->can_take_over = true;
        last_error.clear();
        spdlog::log(first ? spdlog::level::info : spdlog::level::debug,
                    "cluster: standby view caught up with the stream ({} entries applied in "
                    "{:.2f} s)",
                    applied.value(), took);
        first = false;
      } else if (applied.status().code() == Status::kConfigCode) {
        state_->can_take_over = false;
      }
      if (!applied.ok() && applied.status().ToString() != last_error) {
        last_error = applied.status().ToString();
        if (applied.status().code() == Status::kConfigCode) {
          // The data dir or the stream is wrong for this node: it would fail the same way when
          // it takes over, so say so now rather than then.
          spdlog::error(
              "cluster: this standby could not take over: {} (checked again every "
              "cluster.follow_ms, {} ms)",
              last_error, every_.count());
        } else {
          spdlog::warn("cluster: the standby's view could not follow the stream: {} (retried)",
                       last_error);
        }
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, every_, [this] { return stop_; });
    }
    if (view.ok()) view.value().reset();  // the view closed: the data dir is free for the hub
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  const diphub::broker::Config& config_;
  diphub::broker::StandbyFollowState* const state_;
  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  bool done_ = false;  // guarded by mu_
  std::thread thread_;
};

// Exit status of a node that lost the leader lease: its supervisor restarts it as a standby.
constexpr int kLostLeadership = 3;

// With cluster.enabled: waits for the leader lease, answering not ready meanwhile, and starts
// renewing it; SIGUSR1 (in `signals`, blocked) is raised when the lease is lost. nullptr when a
// stop signal came first (*stopped set) or the standby listener cannot bind (*failed set).
std::unique_ptr<diphub::broker::LeaderLease> WaitForLeadership(const diphub::broker::Config& c,
                                                               sigset_t signals, bool* stopped,
                                                               int* failed) {
  diphub::broker::LeaseOptions lo;
  lo.servers = c.cluster.servers;
  lo.bucket = c.cluster.lease_bucket;
  lo.node = c.cluster.node;
  lo.ttl = std::chrono::milliseconds(c.cluster.lease_ttl_ms);
  lo.replicas = c.cluster.lease_replicas;
  lo.unreachable_after = std::chrono::milliseconds(c.cluster.unreachable_after_ms);
  auto lease = std::make_unique<diphub::broker::LeaderLease>(
      lo, [](const std::string&) { ::kill(::getpid(), SIGUSR1); });
  std::string http_listen;
  if (const YAML::Node h = c.adapter_sections["http"]; h && h["listen"] && h["listen"].IsScalar()) {
    http_listen = h["listen"].as<std::string>();
  }
  const bool http_on = std::find(c.adapters.begin(), c.adapters.end(), "http") != c.adapters.end();
  auto* raw = lease.get();
  diphub::broker::StandbyFollowState follow_state;  // outlives the server and the follower
  diphub::broker::StandbyServer standby(
      http_on ? http_listen : "", c.metrics.listen, c.cluster.node,
      [raw] { return raw->holder_seen(); }, c.cluster.follow_ms != 0 ? &follow_state : nullptr);
  if (Status s = standby.Start(); !s.ok()) {
    spdlog::error("cannot start: {}", s.ToString());
    *failed = 1;
    return nullptr;
  }
  spdlog::info("cluster: node {} is a standby until it holds the leader lease", c.cluster.node);
  StandbyFollower follower(c, &follow_state);
  int sig = 0;
  Status s = lease->Acquire([&] {
    timespec zero{};
    sig = sigtimedwait(&signals, nullptr, &zero);
    return sig == SIGINT || sig == SIGTERM;
  });
  if (!s.ok()) {
    if (s.code() == Status::kConfigCode) {
      spdlog::error("cannot start: {}", s.ToString());
      *failed = 1;
    } else {
      spdlog::info("received {} while standby; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      *stopped = true;
    }
    if (!follower.StopWithin(std::chrono::seconds(2))) {
      // A catch-up stuck on an unreachable stream: leave without it. The view is as safe as
      // after a kill -9 (each entry and the view's position are one write).
      spdlog::warn("cluster: the standby's catch-up did not stop within 2 s; exiting without it");
      spdlog::default_logger()->flush();
      std::_Exit(*failed);
    }
    return nullptr;
  }
  follower.StopWithin(std::chrono::hours(24));  // the catch-up under way finishes: view closed
  return lease;  // the standby listener closes here, before the hub binds the same addresses
}

int WaitForStopSignal(sigset_t set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int RunSink(const std::string& listen, int status, bool quiet) {
  std::string host;
  std::uint16_t port = 0;
  if (Status s = diphub::adapters::http::ParseListen(listen, &host, &port); !s.ok()) {
    return Fail("--listen: " + s.help());
  }
  sigset_t signals = BlockStopSignals();
  std::size_t count = 0;
  diphub::adapters::http::WebhookSink sink(host, port, [&](const auto& d) {
    ++count;
    std::printf("delivery %zu to %s: signature %s, %zu bytes\n", count, d.target.c_str(),
                d.signature.ok() ? "verified" : d.signature.ToString().c_str(), d.body.size());
    if (!quiet) std::printf("%s\n", d.body.c_str());
    std::fflush(stdout);
    return status;
  });
  if (Status s = sink.Start(); !s.ok()) return Fail(s.ToString());
  std::printf("diphub sink: listening on %s (answering %d); point a webhook at %s\n",
              listen.c_str(), status, sink.Url().c_str());
  std::fflush(stdout);
  WaitForStopSignal(signals);
  return 0;
}

struct ZmqFlags {
  std::string endpoint = "tcp://127.0.0.1:5560";
  std::string server_key;
  std::string secret_key;
  std::string secret_key_file;
};

void AddZmqFlags(CLI::App* cmd, ZmqFlags* f) {
  cmd->add_option("--endpoint", f->endpoint, "the hub's zmq endpoint")->capture_default_str();
  cmd->add_option("--server-key", f->server_key, "the hub's CURVE public key (Z85)")->required();
  cmd->add_option("--secret-key", f->secret_key, "this participant's CURVE secret key (Z85)");
  cmd->add_option("--secret-key-file", f->secret_key_file, "... or a file holding it")
      ->check(CLI::ExistingFile);
}

diphub::dip::Result<diphub::adapters::zmq::ClientOptions> ClientOptionsFrom(const ZmqFlags& f) {
  diphub::adapters::zmq::ClientOptions o;
  o.endpoint = f.endpoint;
  o.server_public_key = f.server_key;
  o.secret_key = f.secret_key;
  if (!f.secret_key_file.empty()) {
    std::ifstream in(f.secret_key_file);
    std::getline(in, o.secret_key);
    while (!o.secret_key.empty() && std::isspace(static_cast<unsigned char>(o.secret_key.back())))
      o.secret_key.pop_back();
  }
  o.public_key = diphub::adapters::zmq::CurvePublicKey(o.secret_key);
  if (o.public_key.empty()) {
    return Status::Config("--secret-key: expected a Z85 CURVE secret key of 40 characters");
  }
  return o;
}

// Sends each file's message array on `channel`, pipelined within the hub's credit; prints one
// line per ACK. Exit code 0 when every send got 201.
int RunSend(const ZmqFlags& flags, const std::string& channel,
            const std::vector<std::string>& files) {
  auto options = ClientOptionsFrom(flags);
  if (!options.ok()) return Fail(options.status().help());
  auto client = diphub::adapters::zmq::Client::Connect(std::move(options).value());
  if (!client.ok()) return Fail(client.status().help());
  std::size_t refused = 0;
  client.value()->on_ack = [&refused](const diphub::adapters::zmq::SendAck& a) {
    if (a.status != 201) ++refused;
    std::printf("ack %llu: %d %s\n", static_cast<unsigned long long>(a.seq), a.status,
                a.response.c_str());
  };
  for (const std::string& file : files) {
    std::string body;
    if (file == "-") {
      body.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream in(file, std::ios::binary);
      if (!in) return Fail("cannot read \"" + file + "\"");
      body.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto seq = client.value()->Send(channel, body);
    if (!seq.ok()) return Fail(seq.status().help());
  }
  if (Status s = client.value()->Flush(std::chrono::seconds(60)); !s.ok()) return Fail(s.help());
  std::fflush(stdout);
  return refused == 0 ? 0 : 1;
}

// Takes deliveries, one message per line, acknowledging each batch after printing it;
// reconnects and resumes from the last acknowledged seq when the connection drops.
int RunRecv(const ZmqFlags& flags, std::uint64_t last_acked, std::size_t count, bool quiet) {
  auto options = ClientOptionsFrom(flags);
  if (!options.ok()) return Fail(options.status().help());
  options.value().receive = true;
  std::size_t received = 0;
  while (count == 0 || received < count) {
    options.value().last_acked = last_acked;
    auto client = diphub::adapters::zmq::Client::Connect(options.value());
    if (!client.ok()) return Fail(client.status().help());
    client.value()->on_delivery = [&](const std::vector<diphub::adapters::zmq::Delivered>& batch) {
      for (const auto& d : batch) {
        ++received;
        if (quiet) {
          std::printf("delivery %llu\n", static_cast<unsigned long long>(d.seq));
        } else {
          std::printf("%llu %s\n", static_cast<unsigned long long>(d.seq), d.message.c_str());
        }
      }
      std::fflush(stdout);
    };
    while (count == 0 || received < count) {
      Status s = client.value()->Poll(std::chrono::milliseconds(500));
      last_acked = client.value()->last_acked();
      if (!s.ok()) {
        std::fprintf(stderr, "diphub recv: %s; reconnecting from %llu\n", s.help().c_str(),
                     static_cast<unsigned long long>(last_acked));
        std::this_thread::sleep_for(std::chrono::seconds(1));
        break;
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "diphub: a message hub that speaks the MHHS DIP protocol.\n"
      "With no options it starts on the embedded default: data in ./var/diphub, the DIP\n"
      "API on 127.0.0.1:8080, metrics on 127.0.0.1:9464 and four demo participants\n"
      "(see docs/configuration.md)."};
  app.set_version_flag("--version", "diphub 0.1.0");
  std::string config_path, data_dir, http_listen, metrics_listen, ready_file;
  bool print_default = false;
  app.add_option("-c,--config", config_path, "YAML configuration file")->check(CLI::ExistingFile);
  app.add_option("--data-dir", data_dir, "override storage.data_dir");
  app.add_option("--http-listen", http_listen, "override http.listen (host:port; port 0 = any)");
  app.add_option("--metrics-listen", metrics_listen,
                 "override metrics.listen (host:port; empty disables)");
  app.add_option("--ready-file", ready_file,
                 "write the bound endpoints (http=host:port, metrics=host:port) here once ready");
  app.add_flag("--print-default-config", print_default, "print the embedded default and exit");
  bool print_metrics = false;
  app.add_flag("--print-metric-names", print_metrics,
               "print the name of every metric family the hub exports and exit");

  auto* sink =
      app.add_subcommand("sink", "run a webhook receiver that verifies and prints deliveries");
  std::string sink_listen = "127.0.0.1:9000";
  int sink_status = 201;
  bool sink_quiet = false;
  sink->add_option("--listen", sink_listen, "host:port to listen on")->capture_default_str();
  sink->add_option("--status", sink_status, "HTTP status to answer with")
      ->check(CLI::Range(200, 599))
      ->capture_default_str();
  sink->add_flag("--quiet", sink_quiet, "print one line per delivery, not the bodies");

  auto* scenario =
      app.add_subcommand("scenario",
                         "run a scripted flow (e.g. BP017) against one participant under test, the "
                         "others simulated, and report each step (docs/harness.md)");
  std::string scenario_file, scenario_log_level = "warn";
  diphub::adapters::sim::ScenarioOptions scenario_options;
  scenario->add_option("FILE", scenario_file, "scenario YAML")
      ->required()
      ->check(CLI::ExistingFile);
  scenario->add_option("--data-dir", scenario_options.data_dir,
                       "storage directory (default: a new temporary one, removed afterwards)");
  scenario->add_option("--http-listen", scenario_options.http_listen, "override http.listen");
  scenario->add_option("--webhook", scenario_options.webhook,
                       "the participant under test's webhook (overrides the scenario's)");
  scenario->add_option("--ready-file", scenario_options.ready_file,
                       "write the hub's endpoints here once it runs");
  scenario->add_option("--log-level", scenario_log_level, "hub log level on stderr")
      ->capture_default_str();

  auto* send = app.add_subcommand(
      "send", "send message arrays to a hub over zmq (pipelined; prints one ack per send)");
  ZmqFlags send_flags;
  std::string send_channel;
  std::vector<std::string> send_files;
  AddZmqFlags(send, &send_flags);
  send->add_option("--channel", send_channel, "DIP channel, e.g. IF-061")->required();
  send->add_option("files", send_files, "files with a message array each (- for stdin)")
      ->required();
  auto* recv = app.add_subcommand(
      "recv", "take deliveries from a hub over zmq, one message per line, acknowledging each");
  ZmqFlags recv_flags;
  std::uint64_t recv_last_acked = 0;
  std::size_t recv_count = 0;
  bool recv_quiet = false;
  AddZmqFlags(recv, &recv_flags);
  recv->add_option("--last-acked", recv_last_acked,
                   "resume after this delivery seq (messages up to it were processed)");
  recv->add_option("--count", recv_count, "exit after this many messages (0: run until killed)");
  recv->add_flag("--quiet", recv_quiet, "print only the seq of each message");
  auto* keygen = app.add_subcommand("zmq-keygen", "print a new CURVE key pair (Z85)");

  CLI11_PARSE(app, argc, argv);
  if (*sink) return RunSink(sink_listen, sink_status, sink_quiet);
  if (*send) return RunSend(send_flags, send_channel, send_files);
  if (*recv) return RunRecv(recv_flags, recv_last_acked, recv_count, recv_quiet);
  if (*keygen) {
    auto [pub, sec] = diphub::adapters::zmq::CurveKeyPair();
    std::printf("public: %s\nsecret: %s\n", pub.c_str(), sec.c_str());
    return 0;
  }
  if (*scenario) {
    auto loaded = diphub::adapters::sim::LoadScenario(scenario_file);
    if (!loaded.ok()) return Fail(loaded.status().ToString());
    SetUpLogging({scenario_log_level, "plain"});
    return diphub::adapters::sim::RunScenario(loaded.value(), scenario_options, stdout);
  }
  if (print_metrics) {
    diphub::broker::Probe probe;
    std::vector<std::string> names = probe.FamilyNames();
    for (std::string& name : diphub::broker::StandbyMetricFamilies()) {  // a standby's own
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    for (const std::string& name : names) std::cout << name << "\n";
    return 0;
  }
  if (print_default) {
    std::cout << diphub::broker::EmbeddedDefaultConfig();
    return 0;
  }

  auto config =
      config_path.empty()
          ? diphub::broker::ParseConfig(diphub::broker::EmbeddedDefaultConfig(), "embedded default")
          : diphub::broker::LoadConfigFile(config_path);
  if (!config.ok()) return Fail(config.status().ToString());
  diphub::broker::Config& c = config.value();
  if (!data_dir.empty()) c.storage.data_dir = data_dir;
  if (!http_listen.empty()) c.adapter_sections["http"]["listen"] = http_listen;
  if (app.count("--metrics-listen") > 0) c.metrics.listen = metrics_listen;

  SetUpLogging(c.log);
  sigset_t signals = BlockStopSignals();
  std::unique_ptr<diphub::broker::LeaderLease> lease;
  const std::string node = c.cluster.node;
  if (c.cluster.enabled) {
    sigaddset(&signals, SIGUSR1);  // the lease was lost
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    bool stopped = false;
    int failed = 0;
    lease = WaitForLeadership(c, signals, &stopped, &failed);
    if (!lease) return stopped ? 0 : failed;
  }
  diphub::broker::Hub hub(std::move(c));
  if (Status s = hub.Start(); !s.ok()) {
    spdlog::error("cannot start: {}", s.ToString());
    if (lease) lease->Release();
    return 1;
  }
  std::string endpoints;
  for (const std::string& e : hub.Endpoints()) endpoints += e + "\n";
  spdlog::info("diphub ready ({})", config_path.empty() ? "embedded default" : config_path);
  if (!ready_file.empty()) {
    std::string tmp = ready_file + ".tmp";
    std::ofstream(tmp) << endpoints;
    std::rename(tmp.c_str(), ready_file.c_str());
  }
  int sig = WaitForStopSignal(signals);
  if (sig == SIGUSR1) {
    spdlog::error(
        "cluster: node {} lost the leader lease ({}); stopping and exiting with status {} so the "
        "supervisor restarts it as a standby",
        node, lease->lost_reason(), kLostLeadership);
    hub.Stop();
    return kLostLeadership;
  }
  spdlog::info("received {}; finishing the commit in progress and stopping",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  hub.Stop();
  if (lease) lease->Release();  // after the last commit: the successor starts at once
  spdlog::info("stopped");
  return 0;
}
