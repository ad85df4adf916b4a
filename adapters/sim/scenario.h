// The scenario runner behind `diphub scenario FILE`: starts an embedded hub whose participants
// are simulated (the sim adapter) except one, the participant under test, which is a real
// external system reached through its own adapter (http: its webhook; zmq: it connects to the
// hub), and plays a
// scripted flow (BP017 in deploy/examples/bp017-scenario.yaml) step by step, printing a live
// line per step and a report: PASS/FAIL, DIP codes, timings, and on failure the messages
// exchanged. The file format is in docs/harness.md.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "dip/status.h"

namespace diphub::adapters::sim {

// What a step does.
struct ScenarioStep {
  enum class Kind {
    kSend,    // a simulated participant sends (the runner makes it)
    kAwait,   // a simulated participant sends on its own (e.g. its answer): wait for it
    kExpect,  // the participant under test sends to a simulated participant: wait for it
  };
  Kind kind = Kind::kSend;
  std::string name;
  std::string sim;              // kSend, kAwait: the simulated participant
  std::string interface_id;     // "IF-061"
  std::string event;            // "" = any (kAwait, kExpect) or the interface's usual (kSend)
  std::string mpan;             // "" = the scenario's
  std::vector<std::string> to;  // kSend: primary recipients; kExpect: the receiving sim ("" = any)
  bool to_given = false;
  std::string response_code;  // R0.responseCode: sent (kSend) or required (kAwait, kExpect)
  std::string custom_block;   // kSend: CustomBlock JSON instead of the simulator's
  std::string expect_code = "MSG0000";  // kSend, kAwait: the hub's answer to the send
  bool delivered = true;  // kSend, kAwait: also wait until delivered to the participant under test
  std::chrono::milliseconds timeout{10000};
};

struct Scenario {
  std::string name;
  std::string hub_config_text;  // YAML of the embedded hub
  std::string hub_config_origin;
  std::string under_test;  // DIP ID
  std::string webhook;     // "" = as configured
  std::string mpan;
  std::vector<ScenarioStep> steps;
};

// Reads a scenario file; `hub_config` is resolved relative to the file.
dip::Result<Scenario> LoadScenario(const std::string& path);

struct ScenarioOptions {
  std::string data_dir;     // "" = a new temporary directory, removed afterwards
  std::string http_listen;  // "" = as configured
  std::string webhook;      // "" = as in the scenario
  std::string ready_file;   // written with the hub's endpoints once it runs
};

// Runs `scenario`, writing the report to `out`. Returns the exit status: 0 when every step
// passed, 1 when one failed, 2 when the hub could not start.
int RunScenario(const Scenario& scenario, const ScenarioOptions& options, std::FILE* out);

}  // namespace diphub::adapters::sim
