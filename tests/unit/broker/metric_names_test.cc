// The metric names used outside the code (the Grafana dashboard, the Prometheus alert rules and
// docs/metrics.md) are the names the hub registers (broker/probe.cc) or a cluster standby's
// metrics page shows (broker/standby_server.cc): renaming a metric there without updating
// deploy/ and docs/ fails here, naming the file and the name.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker/probe.h"
#include "broker/standby_server.h"

namespace diphub::broker {
namespace {

const std::string kSourceDir = DIPHUB_SOURCE_DIR;
const std::string kDashboard = "deploy/grafana/diphub-dashboard.json";
const std::string kAlerts = "deploy/prometheus/alerts.yml";
const std::string kDocs = "docs/metrics.md";

std::string ReadSource(const std::string& relative) {
  std::ifstream in(kSourceDir + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> StandbyFamilies() {
  std::vector<std::string> names = StandbyMetricFamilies();
  return {names.begin(), names.end()};
}

std::set<std::string> Families() {
  Probe probe;
  std::vector<std::string> names = probe.FamilyNames();
  std::set<std::string> out(names.begin(), names.end());
  out.merge(StandbyFamilies());
  return out;
}

// Identifiers that name a hub metric (diphub_*, process_*).
std::vector<std::string> MetricNamesIn(const std::string& text) {
  static const std::regex kName(R"(\b(?:diphub|process)_[A-Za-z0-9_]*)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

// True when `expr` uses Prometheus's own `up` series (as a selector, not inside a word).
bool UsesUp(const std::string& expr) {
  static const std::regex kUp(R"((^|[^A-Za-z0-9_:])up\s*(\{|$|[^A-Za-z0-9_:(]))");
  return std::regex_search(expr, kUp);
}

// A name a PromQL expression may use: a family, a histogram's series, or `up`.
bool KnownSeries(const std::set<std::string>& families, const std::string& name) {
  if (name == "up" || families.contains(name)) return true;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix) &&
        families.contains(name.substr(0, name.size() - suffix.size()))) {
      return true;
    }
  }
  return false;
}

// Checks every metric name of every expression; each expression must use at least one metric.
void CheckExpressions(const std::set<std::string>& families, const std::string& file,
                      const std::vector<std::string>& exprs) {
  for (const std::string& expr : exprs) {
    std::vector<std::string> names = MetricNamesIn(expr);
    EXPECT_TRUE(!names.empty() || UsesUp(expr))
        << file << ": expression uses no diphub metric: " << expr;
    for (const std::string& name : names) {
      EXPECT_TRUE(KnownSeries(families, name))
          << file << ": metric \"" << name << "\" is not registered by the hub (in: " << expr
          << ")";
    }
  }
}

void CollectPanelExprs(simdjson::dom::array panels, std::vector<std::string>* out) {
  for (simdjson::dom::element panel : panels) {
    simdjson::dom::array targets;
    if (!panel["targets"].get_array().get(targets)) {
      for (simdjson::dom::element target : targets) {
        std::string_view expr;
        if (!target["expr"].get_string().get(expr)) out->emplace_back(expr);
      }
    }
    simdjson::dom::array nested;  // collapsed rows hold their panels
    if (!panel["panels"].get_array().get(nested)) CollectPanelExprs(nested, out);
  }
}

void CollectRuleExprs(const YAML::Node& node, std::vector<std::string>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (kv.first.as<std::string>() == "expr" && kv.second.IsScalar()) {
        out->push_back(kv.second.as<std::string>());
      } else {
        CollectRuleExprs(kv.second, out);
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CollectRuleExprs(item, out);
  }
}

TEST(MetricNamesTest, ProbeRegistersDocumentedFamilies) {
  std::set<std::string> families = Families();
  EXPECT_GE(families.size(), 20u);
  EXPECT_TRUE(families.contains("diphub_messages_accepted_total"));
  EXPECT_TRUE(families.contains("diphub_sla_response_seconds"));
  EXPECT_TRUE(families.contains("process_cpu_seconds_total"));
}

TEST(MetricNamesTest, GrafanaDashboardUsesRegisteredNames) {
  std::set<std::string> families = Families();
  std::string json = ReadSource(kDashboard);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << kDashboard << ": not JSON";
  simdjson::dom::array panels;
  ASSERT_FALSE(doc["panels"].get_array().get(panels)) << kDashboard << ": no \"panels\" array";
  std::vector<std::string> exprs;
  CollectPanelExprs(panels, &exprs);
  ASSERT_GE(exprs.size(), 10u) << kDashboard << ": expected the panels' target expressions";
  CheckExpressions(families, kDashboard, exprs);
}

TEST(MetricNamesTest, AStandbysPageDeclaresItsFollowersFamilies) {
  std::set<std::string> standby = StandbyFamilies();
  EXPECT_TRUE(standby.contains("diphub_cluster_leader"));
  EXPECT_TRUE(standby.contains("diphub_cluster_standby_can_take_over"));
  EXPECT_TRUE(standby.contains("diphub_cluster_standby_caught_up_timestamp_seconds"));
  EXPECT_TRUE(standby.contains("diphub_cluster_standby_applied_entries_total"));
  // Without a follower (cluster.follow_ms: 0) the page has only the two gauges.
  EXPECT_EQ(StandbyMetricsPage(nullptr).find("diphub_cluster_standby_"), std::string::npos);
}

TEST(MetricNamesTest, AlertRulesUseRegisteredNames) {
  std::set<std::string> families = Families();
  YAML::Node rules;
  try {
    rules = YAML::LoadFile(kSourceDir + "/" + kAlerts);
  } catch (const YAML::Exception& e) {
    FAIL() << kAlerts << ": " << e.what();
  }
  std::vector<std::string> exprs;
  CollectRuleExprs(rules, &exprs);
  ASSERT_GE(exprs.size(), 5u) << kAlerts << ": expected the rules' expressions";
  CheckExpressions(families, kAlerts, exprs);
}

TEST(MetricNamesTest, DocsListExactlyTheRegisteredFamilies) {
  std::set<std::string> families = Families();
  std::string docs = ReadSource(kDocs);
  for (const std::string& name : families) {
    EXPECT_NE(docs.find("`" + name + "`"), std::string::npos)
        << kDocs << ": family \"" << name << "\" is not documented (as `" << name << "`)";
  }
  // Every metric named in the tables (rows start with "|") is one the hub registers.
  std::istringstream lines(docs);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("|")) continue;
    for (const std::string& name : MetricNamesIn(line)) {
      ++rows;
      EXPECT_TRUE(families.contains(name))
          << kDocs << ": metric \"" << name << "\" is not registered by the hub (line: " << line
          << ")";
    }
  }
  EXPECT_GE(rows, families.size()) << kDocs << ": expected a table row per metric";
}

}  // namespace
}  // namespace diphub::broker
