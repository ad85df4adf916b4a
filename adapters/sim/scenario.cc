#include "adapters/sim/scenario.h"

#include <simdjson.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "adapters/sim/config.h"
#include "adapters/sim/sim_adapter.h"
#include "broker/config.h"
#include "broker/hub.h"

namespace diphub::adapters::sim {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long Ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

std::string Str(const YAML::Node& n) { return n ? n.as<std::string>() : std::string(); }

dip::Result<ScenarioStep> ParseStep(const YAML::Node& node, const std::string& where) {
  if (auto s = broker::CheckKeys(
          node,
          {"name", "sim", "send", "await", "expect", "event", "mpan", "to", "response_code",
           "custom_block", "expect_code", "delivered", "timeout_ms"},
          where);
      !s.ok()) {
    return s;
  }
  ScenarioStep st;
  int kinds = 0;
  for (auto [key, kind] : {std::pair{"send", ScenarioStep::Kind::kSend},
                           std::pair{"await", ScenarioStep::Kind::kAwait},
                           std::pair{"expect", ScenarioStep::Kind::kExpect}}) {
    if (node[key]) {
      ++kinds;
      st.kind = kind;
      st.interface_id = node[key].as<std::string>();
    }
  }
  if (kinds != 1)
    return ConfigError(where, "needs exactly one of send, await, expect (an interface ID)");
  st.name = node["name"] ? Str(node["name"]) : st.interface_id;
  st.sim = Str(node["sim"]);
  if (st.kind != ScenarioStep::Kind::kExpect && st.sim.empty()) {
    return ConfigError(where + ".sim",
                       "required with send and await: the simulated participant's DIP ID");
  }
  st.event = Str(node["event"]);
  st.mpan = Str(node["mpan"]);
  if (const YAML::Node to = node["to"]) {
    st.to_given = true;
    if (to.IsSequence()) {
      for (const auto& t : to) st.to.push_back(t.as<std::string>());
    } else {
      st.to.push_back(to.as<std::string>());
    }
  }
  st.response_code = Str(node["response_code"]);
  st.custom_block = Str(node["custom_block"]);
  if (node["expect_code"]) st.expect_code = Str(node["expect_code"]);
  if (node["delivered"]) st.delivered = node["delivered"].as<bool>();
  if (node["timeout_ms"]) st.timeout = milliseconds(node["timeout_ms"].as<long long>());
  if (st.timeout.count() <= 0) return ConfigError(where + ".timeout_ms", "must be positive");
  return st;
}

dip::Result<Scenario> Load(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return ConfigError(path, "cannot read the file");
  } catch (const YAML::Exception& e) {
    return ConfigError(path, std::string("not YAML: ") + e.what());
  }
  if (auto s = broker::CheckKeys(root, {"name", "hub_config", "hub", "under_test", "mpan", "steps"},
                                 path);
      !s.ok()) {
    return s;
  }
  Scenario sc;
  sc.name = root["name"] ? Str(root["name"]) : path;
  if (root["hub_config"]) {
    std::filesystem::path file = Str(root["hub_config"]);
    if (file.is_relative()) file = std::filesystem::path(path).parent_path() / file;
    std::ifstream in(file);
    if (!in) return ConfigError(path + ".hub_config", "cannot read \"" + file.string() + "\"");
    std::stringstream text;
    text << in.rdbuf();
    sc.hub_config_text = text.str();
    sc.hub_config_origin = file.string();
  } else if (root["hub"]) {
    YAML::Emitter e;
    e << root["hub"];
    sc.hub_config_text = e.c_str();
    sc.hub_config_origin = path + ": hub";
  } else {
    return ConfigError(path, "needs hub_config (a file) or hub (the configuration inline)");
  }
  const YAML::Node ut = root["under_test"];
  if (auto s = broker::CheckKeys(ut, {"dip_id", "webhook"}, path + ".under_test"); !s.ok()) {
    return s;
  }
  if (!ut || !ut["dip_id"]) return ConfigError(path + ".under_test.dip_id", "required");
  sc.under_test = Str(ut["dip_id"]);
  sc.webhook = Str(ut["webhook"]);
  sc.mpan = Str(root["mpan"]);
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) {
    return ConfigError(path + ".steps", "expected a non-empty list");
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto st = ParseStep(steps[i], path + ".steps[" + std::to_string(i + 1) + "]");
    if (!st.ok()) return st.status();
    if (st.value().mpan.empty()) st.value().mpan = sc.mpan;
    sc.steps.push_back(std::move(st).value());
  }
  return sc;
}

// The delivery state of `reference` to `recipient`: the status of its last Outbound journal row
// ("Delivered", "Retrying", ...), "" if none yet.
std::string DeliveryState(broker::HubApi& hub, const std::string& sender,
                          const std::string& interface_id, const std::string& reference,
                          const std::string& recipient) {
  auto journal = hub.queries().Journal(sender, interface_id, reference);
  if (!journal.ok()) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(journal.value()).get(doc) != simdjson::SUCCESS) return "";
  std::string state;
  simdjson::dom::array txs, stages;
  if (doc["transactions"].get(txs) != simdjson::SUCCESS) return "";
  for (simdjson::dom::element tx : txs) {
    if (tx["stages"].get(stages) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element row : stages) {
      std::string_view stage, to, status;
      if (row["stage"].get(stage) == simdjson::SUCCESS && stage == "Outbound" &&
          row["recipientID"].get(to) == simdjson::SUCCESS && to == recipient &&
          row["status"].get(status) == simdjson::SUCCESS) {
        state = std::string(status);
      }
    }
  }
  return state;
}

class Runner {
 public:
  Runner(const Scenario& sc, broker::Hub& hub, SimAdapter& sim, std::FILE* out)
      : sc_(sc), hub_(hub), sim_(sim), out_(out), begin_(Clock::now()) {}

  // Runs every step, stopping at the first failure; returns the number of failed steps.
  int Run() {
    std::size_t passed = 0;
    for (std::size_t i = 0; i < sc_.steps.size(); ++i) {
      const ScenarioStep& st = sc_.steps[i];
      std::fprintf(out_, "[%zu/%zu] %s ... ", i + 1, sc_.steps.size(), st.name.c_str());
      std::fflush(out_);
      Clock::time_point start = Clock::now();
      std::string detail;
      bool ok = Step(st, &detail);
      std::fprintf(out_, "%s (%lld ms)\n      %s\n", ok ? "PASS" : "FAIL", Ms(Clock::now() - start),
                   detail.c_str());
      std::fflush(out_);
      if (!ok) {
        for (std::size_t j = i + 1; j < sc_.steps.size(); ++j) {
          std::fprintf(out_, "[%zu/%zu] %s ... SKIPPED (an earlier step failed)\n", j + 1,
                       sc_.steps.size(), sc_.steps[j].name.c_str());
        }
        PrintExchanged();
        std::fprintf(out_, "\nRESULT: FAIL — %zu of %zu steps passed (%lld ms)\n", passed,
                     sc_.steps.size(), Ms(Clock::now() - begin_));
        return 1;
      }
      ++passed;
    }
    std::fprintf(out_, "\nRESULT: PASS — %zu of %zu steps passed (%lld ms)\n", passed,
                 sc_.steps.size(), Ms(Clock::now() - begin_));
    return 0;
  }

 private:
  static std::string Describe(const SimEvent& e) {
    std::string s = e.interface_id + " " + e.event + " " + e.reference;
    if (!e.mpan.empty()) s += " MPAN " + e.mpan;
    if (!e.response_code.empty()) s += " R0.responseCode " + e.response_code;
    return s;
  }

  bool Step(const ScenarioStep& st, std::string* detail) {
    switch (st.kind) {
      case ScenarioStep::Kind::kSend:
        return Send(st, detail);
      case ScenarioStep::Kind::kAwait:
        return Await(st, detail);
      case ScenarioStep::Kind::kExpect:
        return Expect(st, detail);
    }
    return false;
  }

  bool Send(const ScenarioStep& st, std::string* detail) {
    std::vector<std::string> to = st.to;
    if (!st.to_given && st.interface_id >= "IF-061" && st.interface_id <= "IF-065") {
      to = {sc_.under_test};  // BP017 messages are addressed; the others go by MPAN
    }
    auto m = sim_.Compose(st.sim, st.interface_id, st.event, st.mpan, to, st.response_code,
                          st.custom_block);
    if (!m.ok()) {
      *detail = m.status().help();
      return false;
    }
    Clock::time_point start = Clock::now();
    std::string reference = sim_.Send(std::move(m).value());
    auto sent = sim_.WaitFor(
        [&](const SimEvent& e) {
          return e.kind == SimEvent::Kind::kSent && e.reference == reference;
        },
        st.timeout, cursor_);
    if (!sent) {
      *detail = "the hub did not answer " + st.sim + "'s " + st.interface_id + " within " +
                std::to_string(st.timeout.count()) + " ms";
      return false;
    }
    return Sent(st, *sent, start, detail);
  }

  bool Await(const ScenarioStep& st, std::string* detail) {
    Clock::time_point start = Clock::now();
    auto sent = sim_.WaitFor(
        [&](const SimEvent& e) {
          return e.kind == SimEvent::Kind::kSent && e.participant == st.sim &&
                 e.interface_id == st.interface_id && (st.event.empty() || e.event == st.event);
        },
        st.timeout, cursor_);
    if (!sent) {
      *detail = "simulated " + st.sim + " sent no " + st.interface_id + " " + st.event +
                " within " + std::to_string(st.timeout.count()) + " ms";
      return false;
    }
    if (!st.response_code.empty() && sent->response_code != st.response_code) {
      *detail =
          st.sim + " sent " + Describe(*sent) + "; expected R0.responseCode " + st.response_code;
      cursor_ = sent->index + 1;
      return false;
    }
    return Sent(st, *sent, start, detail);
  }

  // The checks common to a simulated send: the hub's answer and the delivery to the
  // participant under test.
  bool Sent(const ScenarioStep& st, const SimEvent& sent, Clock::time_point start,
            std::string* detail) {
    cursor_ = sent.index + 1;
    *detail = sent.participant + " sent " + Describe(sent) + "; hub answered " +
              (sent.code.empty() ? sent.detail : sent.code);
    if (sent.code != st.expect_code) {
      *detail += " (" + sent.detail + "); expected " + st.expect_code;
      return false;
    }
    if (!st.delivered || !sent.accepted) return true;
    const Clock::time_point deadline = start + st.timeout;
    std::string state;
    while (true) {
      state =
          DeliveryState(hub_, sent.participant, sent.interface_id, sent.reference, sc_.under_test);
      if (state == "Delivered" || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(milliseconds(20));
    }
    if (state != "Delivered") {
      *detail += "; not delivered to " + sc_.under_test + " within " +
                 std::to_string(st.timeout.count()) +
                 " ms (delivery state: " + (state.empty() ? "none: not routed to it" : state) + ")";
      return false;
    }
    *detail += "; delivered to " + sc_.under_test + " after " +
               std::to_string(Ms(Clock::now() - sent.at)) + " ms";
    return true;
  }

  bool Expect(const ScenarioStep& st, std::string* detail) {
    auto got = sim_.WaitFor(
        [&](const SimEvent& e) {
          return e.kind == SimEvent::Kind::kReceived && e.counterpart == sc_.under_test &&
                 e.interface_id == st.interface_id && (st.event.empty() || e.event == st.event) &&
                 (st.to.empty() || e.participant == st.to.front());
        },
        st.timeout, cursor_);
    if (!got) {
      *detail = "no " + st.interface_id + (st.event.empty() ? "" : " " + st.event) + " from " +
                sc_.under_test + " reached a simulated participant within " +
                std::to_string(st.timeout.count()) + " ms";
      return false;
    }
    cursor_ = got->index + 1;
    *detail = sc_.under_test + " sent " + Describe(*got) + " to " + got->participant;
    if (!st.response_code.empty() && got->response_code != st.response_code) {
      *detail += "; expected R0.responseCode " + st.response_code;
      return false;
    }
    if (!st.mpan.empty() && got->mpan != st.mpan) {
      *detail += "; expected MPAN " + st.mpan;
      return false;
    }
    return true;
  }

  void PrintExchanged() {
    std::vector<SimEvent> events = sim_.events();
    std::fprintf(out_, "\nMessages exchanged with the simulated participants (%zu):\n",
                 events.size());
    for (const SimEvent& e : events) {
      std::string line = "  +" + std::to_string(Ms(e.at - begin_)) + " ms  ";
      switch (e.kind) {
        case SimEvent::Kind::kReceived:
          line += e.participant + " <- " + e.counterpart + "  " + Describe(e);
          break;
        case SimEvent::Kind::kSent:
          line += e.participant + " -> " + (e.counterpart.empty() ? "(by MPAN)" : e.counterpart) +
                  "  " + Describe(e) + "  hub: " + (e.code.empty() ? e.detail : e.detail) +
                  (e.malformed ? " (malformed on purpose)" : "");
          break;
        case SimEvent::Kind::kOutage:
          line += e.participant + "  delivery failed: simulated outage";
          break;
      }
      std::fprintf(out_, "%s\n", line.c_str());
      if (e.kind != SimEvent::Kind::kOutage) {
        std::string body = e.body.size() > 2000 ? e.body.substr(0, 2000) + "..." : e.body;
        std::fprintf(out_, "      %s\n", body.c_str());
      }
    }
  }

  const Scenario& sc_;
  broker::Hub& hub_;
  SimAdapter& sim_;
  std::FILE* out_;
  const Clock::time_point begin_;
  std::size_t cursor_ = 0;  // events before this index belong to earlier steps
};

}  // namespace

dip::Result<Scenario> LoadScenario(const std::string& path) {
  try {
    return Load(path);
  } catch (const YAML::Exception& e) {
    return ConfigError(path, std::string("unexpected YAML structure (") + e.what() + ")");
  }
}

int RunScenario(const Scenario& sc, const ScenarioOptions& options, std::FILE* out) {
  auto fail = [out](const std::string& why) {
    std::fprintf(out, "diphub scenario: cannot start: %s\n", why.c_str());
    return 2;
  };
  auto parsed = broker::ParseConfig(sc.hub_config_text, sc.hub_config_origin);
  if (!parsed.ok()) return fail(parsed.status().ToString());
  broker::Config c = std::move(parsed).value();
  if (std::find(c.adapters.begin(), c.adapters.end(), "sim") == c.adapters.end()) {
    return fail(sc.hub_config_origin + ": adapters must list sim");
  }
  routing::Participant* under_test = nullptr;
  for (routing::Participant& p : c.participants) {
    if (p.dip_id == sc.under_test) under_test = &p;
  }
  if (under_test == nullptr) {
    return fail("under_test.dip_id " + sc.under_test + " is not in the hub's participants");
  }
  if (under_test->adapter == "sim") {
    return fail("the participant under test " + sc.under_test + " has adapter: sim");
  }
  std::string webhook = options.webhook.empty() ? sc.webhook : options.webhook;
  if (!webhook.empty()) {
    under_test->webhooks["*"] = routing::Webhook{webhook, 0, 0};
    auto policy = broker::WebhookPolicy::Make(c.webhooks.allow_internal);
    if (!policy.ok()) return fail(policy.status().ToString());
    if (auto s = broker::CheckWebhooks(*under_test, policy.value(), "under_test"); !s.ok()) {
      return fail(s.ToString());
    }
  }
  std::string temp;
  if (!options.data_dir.empty()) {
    c.storage.data_dir = options.data_dir;
  } else {
    char dir[] = "/tmp/diphub-scenario-XXXXXX";
    if (mkdtemp(dir) == nullptr) return fail("cannot create a temporary directory");
    temp = dir;
    c.storage.data_dir = temp;
  }
  if (!options.http_listen.empty()) c.adapter_sections["http"]["listen"] = options.http_listen;
  const std::string transport = under_test->adapter;
  std::string target =
      under_test->WebhookFor("*") ? under_test->WebhookFor("*")->url : "(no default webhook)";

  int status = 0;
  {
    broker::Hub hub(std::move(c));
    if (dip::Status s = hub.Start(); !s.ok()) {
      status = fail(s.ToString());
    } else if (auto* sim = dynamic_cast<SimAdapter*>(hub.AdapterNamed("sim")); sim == nullptr) {
      status = fail("the sim adapter is not running");
    } else {
      // A transport that needs no webhook (zmq: the participant connects to the hub) is named
      // by where it listens.
      if (broker::Adapter* a = hub.AdapterNamed(transport); a != nullptr && !a->UsesWebhooks()) {
        target.clear();
        for (const std::string& e : a->Endpoints()) {
          target += (target.empty() ? "" : ", ") + e.substr(e.find('=') + 1);
        }
      }
      std::string endpoints;
      for (const std::string& e : hub.Endpoints()) endpoints += e + "\n";
      if (!options.ready_file.empty()) {
        std::string tmp = options.ready_file + ".tmp";
        std::ofstream(tmp) << endpoints;
        std::rename(tmp.c_str(), options.ready_file.c_str());
      }
      std::fprintf(out, "Scenario: %s\n", sc.name.c_str());
      std::fprintf(out, "Participant under test: %s over %s (%s)\n", sc.under_test.c_str(),
                   transport.c_str(), target.c_str());
      std::fprintf(out, "Hub: %s; data in %s\n",
                   endpoints.empty() ? "no listening adapter"
                                     : endpoints.substr(0, endpoints.size() - 1).c_str(),
                   temp.empty() ? options.data_dir.c_str() : temp.c_str());
      std::fprintf(out, "\n");
      std::fflush(out);
      status = Runner(sc, hub, *sim, out).Run();
    }
    hub.Stop();
  }
  if (!temp.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp, ec);
  }
  return status;
}

}  // namespace diphub::adapters::sim
