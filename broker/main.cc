// diphub: a message hub speaking the MHHS DIP protocol.
//   diphub                         start on the embedded default (demo participants, loopback)
//   diphub --config FILE           start with a YAML configuration
//   diphub sink --listen ADDR      run a webhook receiver that prints what it gets
//   diphub scenario FILE           run a scripted flow against one participant under test
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "adapters/http/config.h"
#include "adapters/http/webhook_sink.h"
#include "adapters/sim/scenario.h"
#include "broker/config.h"
#include "broker/hub.h"
#include "broker/probe.h"
#include "dip/json_writer.h"

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

  CLI11_PARSE(app, argc, argv);
  if (*sink) return RunSink(sink_listen, sink_status, sink_quiet);
  if (*scenario) {
    auto loaded = diphub::adapters::sim::LoadScenario(scenario_file);
    if (!loaded.ok()) return Fail(loaded.status().ToString());
    SetUpLogging({scenario_log_level, "plain"});
    return diphub::adapters::sim::RunScenario(loaded.value(), scenario_options, stdout);
  }
  if (print_metrics) {
    diphub::broker::Probe probe;
    for (const std::string& name : probe.FamilyNames()) std::cout << name << "\n";
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
  diphub::broker::Hub hub(std::move(c));
  if (Status s = hub.Start(); !s.ok()) {
    spdlog::error("cannot start: {}", s.ToString());
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
  spdlog::info("received {}; finishing the commit in progress and stopping",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  hub.Stop();
  spdlog::info("stopped");
  return 0;
}
