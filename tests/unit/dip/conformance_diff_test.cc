// Differential test: diphub's level-1 schema walk against valijson, an independent JSON Schema
// validator, over the official spec's own schemas (read at test time from ../shared/dip-api,
// $refs resolved to the local files). They must agree, accept or reject, on the spec's examples
// and on more than 10,000 generated and mutated messages covering every interface and event.
//
// The spec is OpenAPI 3.0: `nullable: true` becomes JSON Schema's type [T, "null"] (null must
// still be in an `enum` that has one), and annotations (description, example, format) are
// dropped, as diphub treats them. Examples that break their own schema are printed; they are
// listed in docs/conformance.md.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "dip/catalogue.h"
#include "dip/envelope.h"
#include "dip/sample_message.h"
#include "dip/schema_check.h"

namespace diphub::dip {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSpecDir = fs::path(DIPHUB_SOURCE_DIR) / ".." / "shared" / "dip-api";
constexpr std::string_view kRemote =
    "https://raw.githubusercontent.com/elexon-data/dip-api-documentation/main/";

// YAML scalars typed as YAML 1.2's core schema does: quoted ones are strings, plain ones may
// be null, booleans or numbers.
json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;
      if (s == "null" || s == "Null" || s == "~") return nullptr;
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      std::int64_t i = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return i;
      double d = 0;
      auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (dec == std::errc() && dend == s.data() + s.size() && !s.empty()) return d;
      return s;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(ToJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = ToJson(kv.second);
      return o;
    }
  }
  return nullptr;
}

class Spec {
 public:
  const json& Doc(const std::string& file) {
    auto it = docs_.find(file);
    if (it == docs_.end()) {
      it = docs_.emplace(file, ToJson(YAML::LoadFile((kSpecDir / file).string()))).first;
    }
    return it->second;
  }

  // `node` with every $ref replaced by its target, in JSON Schema terms.
  json Resolve(const json& node, const std::string& file, bool property_map = false) {
    if (node.is_array()) {
      json out = json::array();
      for (const auto& e : node) out.push_back(Resolve(e, file));
      return out;
    }
    if (!node.is_object()) return node;
    if (!property_map && node.contains("$ref")) {
      std::string ref = node["$ref"];
      if (ref.starts_with(kRemote)) ref = ref.substr(kRemote.size());
      std::size_t hash = ref.find('#');
      std::string target = hash == 0 ? file : ref.substr(0, hash);
      const json& doc = Doc(target);
      return Resolve(doc.at(json::json_pointer(ref.substr(hash + 1))), target);
    }
    json out = json::object();
    for (const auto& [key, value] : node.items()) {
      if (!property_map &&
          (key == "description" || key == "example" || key == "format" || key == "nullable")) {
        continue;
      }
      out[key] = Resolve(value, file, !property_map && key == "properties");
    }
    if (!property_map && node.value("nullable", false) && node.contains("type")) {
      out["type"] = json::array({node["type"], "null"});
    }
    return out;
  }

  // The valijson schema of one message {"payload": ...} on `interface_id`'s channel: the
  // interface's oneOf, or the one variant `variant` (an event's own schema).
  valijson::Schema& MessageSchema(const std::string& interface_id,
                                  const std::string& variant = "") {
    const std::string name = variant.empty() ? interface_id + "-Payload" : variant;
    auto it = schemas_.find(name);
    if (it != schemas_.end()) return *it->second;
    const std::string file = "Interfaces-EventCodes-unresolved.yaml";
    json payload = Resolve(Doc(file).at(json::json_pointer("/components/schemas/" + name)), file);
    payloads_[name] = payload;
    json message = {{"type", "object"},
                    {"required", json::array({"payload"})},
                    {"properties", {{"payload", payload}}}};
    documents_.push_back(std::make_unique<json>(std::move(message)));
    auto schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(*documents_.back());
    parser.populateSchema(adapter, *schema);
    return *schemas_.emplace(name, std::move(schema)).first->second;
  }

  // The resolved payload schema of `interface_id` (after MessageSchema built it).
  const json& PayloadSchema(const std::string& interface_id) {
    MessageSchema(interface_id);
    return payloads_.at(interface_id + "-Payload");
  }

 private:
  std::map<std::string, json> docs_;
  std::vector<std::unique_ptr<json>> documents_;
  std::map<std::string, std::unique_ptr<valijson::Schema>> schemas_;
  std::map<std::string, json> payloads_;
};

bool ValijsonAccepts(valijson::Schema& schema, const json& message) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::adapters::NlohmannJsonAdapter target(message);
  return validator.validate(schema, target, nullptr);
}

// diphub's verdict on one message sent on `interface_id`: the envelope parse, then the walk.
Status DiphubVerdict(const std::string& message, std::string_view interface_id) {
  std::string body = "[" + message + "]";
  std::string scratch;
  ParsedArray a = ParseMessageArray(body, &scratch);
  if (!a.status.ok()) return a.status;
  const ParsedItem& item = a.items[0];
  if (!item.status.ok()) return item.status;
  if (!item.envelope.event_code.is_string()) {
    return Status::Dip("MSG1001", "S0.eventCode: not a string");
  }
  return CheckMessageSchema(item.envelope.raw, interface_id, item.envelope.event_code.value);
}

// Every JSON pointer below /payload, except CommonBlock itself (see docs/conformance.md: the
// hub needs it to be an object, where some variants leave its type open).
void Pointers(const json& node, const std::string& at, std::vector<std::string>* out) {
  if (at != "/payload/CommonBlock") out->push_back(at);
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) Pointers(value, at + "/" + key, out);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      Pointers(node[i], at + "/" + std::to_string(i), out);
    }
  }
}

// One random change somewhere below /payload.
void Mutate(json* message, std::mt19937* rng) {
  std::vector<std::string> pointers;
  Pointers((*message)["payload"], "/payload", &pointers);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(*rng);
  };
  json::json_pointer ptr(pointers[pick(pointers.size())]);
  json& target = (*message)[ptr];
  switch (pick(6)) {
    case 0: {  // remove it
      if (ptr.empty()) return;
      json& parent = (*message)[ptr.parent_pointer()];
      if (parent.is_object()) {
        parent.erase(ptr.back());
      } else if (parent.is_array()) {
        parent.erase(parent.begin() + static_cast<std::ptrdiff_t>(std::stoul(ptr.back())));
      }
      return;
    }
    case 1:  // a field the schema does not name
      if (target.is_object()) {
        target["zzExtra"] = "x";
        return;
      }
      [[fallthrough]];
    case 2: {  // another type
      static const json kValues[] = {nullptr, 7, 7.5, "text", true, json::object(), json::array()};
      target = kValues[pick(std::size(kValues))];
      return;
    }
    case 3:  // another string
      if (target.is_string()) {
        std::string s = target;
        switch (pick(6)) {
          case 0:
            s += "X";
            break;
          case 1:
            if (!s.empty()) s.pop_back();
            break;
          case 2:
            if (!s.empty()) s[0] = 'x';
            break;
          case 3:
            if (!s.empty()) s[s.size() / 2] = '9';
            break;
          case 4:
            s.clear();
            break;
          default:
            s = std::string(300, 'y');
            break;
        }
        target = s;
        return;
      }
      [[fallthrough]];
    case 4:  // another number
      if (target.is_number()) {
        static const double kDelta[] = {1, -1, 1000, -1000};
        if (target.is_number_integer()) {
          target = target.get<std::int64_t>() + static_cast<std::int64_t>(kDelta[pick(4)]);
        } else {
          target = target.get<double>() + kDelta[pick(4)];
        }
        return;
      }
      [[fallthrough]];
    default:  // another list
      if (target.is_array()) {
        if (!target.empty() && pick(2) == 0) {
          json first = target[0];
          for (int i = 0; i < 250; ++i) target.push_back(first);
        } else {
          target = json::array();
        }
        return;
      }
      target = nullptr;
  }
}

class ConformanceDiff : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kSpecDir / "Interfaces-EventCodes-unresolved.yaml")) {
      GTEST_SKIP() << "the DIP spec is not at " << kSpecDir
                   << " (../shared/dip-api beside the repository); the differential test needs it";
    }
  }
  Spec spec_;
};

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The DIP matches field names case-insensitively; valijson does not. Renames every key of
// `message` that a schema in `schemas` (or one of their oneOf alternatives) declares in another
// case to the declared spelling, so the oracle sees what the DIP sees.
void Canonicalize(json* message, std::vector<const json*> schemas) {
  for (std::size_t i = 0; i < schemas.size(); ++i) {  // grows while oneOf is flattened
    if (schemas[i]->contains("oneOf")) {
      for (const auto& alt : (*schemas[i])["oneOf"]) schemas.push_back(&alt);
    }
  }
  if (message->is_array()) {
    std::vector<const json*> items;
    for (const json* s : schemas) {
      if (s->contains("items")) items.push_back(&(*s)["items"]);
    }
    for (auto& e : *message) Canonicalize(&e, items);
    return;
  }
  if (!message->is_object()) return;
  json renamed = json::object();
  for (auto& [key, value] : message->items()) {
    std::string name = key;
    std::vector<const json*> sub;
    for (const json* s : schemas) {
      if (!s->contains("properties")) continue;
      for (const auto& [declared, schema] : (*s)["properties"].items()) {
        if (SameIgnoringCase(declared, key)) {
          name = declared;
          sub.push_back(&schema);
        }
      }
    }
    json v = value;
    Canonicalize(&v, sub);
    renamed[name] = std::move(v);
  }
  *message = std::move(renamed);
}

TEST_F(ConformanceDiff, SpecExamplesAgree) {
  const json& examples = spec_.Doc("Examples-unresolved.yaml")["components"]["examples"];
  std::size_t checked = 0, broken = 0;
  for (const auto& [name, example] : examples.items()) {
    json value = example["value"];
    if (value.is_object()) value = json::array({value});  // some examples are one message
    for (std::size_t i = 0; i < value.size(); ++i) {
      json message = value[i];
      std::string iface;
      for (const auto& [key, v] : message["payload"]["CommonBlock"]["S0"].items()) {
        if (SameIgnoringCase(key, "interfaceID") && v.is_string()) iface = v;
      }
      auto canonical = CanonicalInterface(iface);
      ASSERT_TRUE(canonical.has_value()) << name << ": no S0.interfaceID";
      Status ours = DiphubVerdict(message.dump(), *canonical);
      const json& payload_schema = spec_.PayloadSchema(std::string(*canonical));
      json payload = message["payload"];
      Canonicalize(&payload, {&payload_schema});
      message["payload"] = payload;
      bool oracle = ValijsonAccepts(spec_.MessageSchema(std::string(*canonical)), message);
      EXPECT_EQ(ours.ok(), oracle) << name << "[" << i << "]: diphub says " << ours.ToString();
      if (!oracle) {
        ++broken;
        std::cout << "spec example " << name << "[" << i
                  << "] breaks its schema: " << ours.ToString() << "\n";
      }
      ++checked;
    }
  }
  std::cout << "spec examples: " << checked << " messages, " << broken
            << " break their own schema\n";
  EXPECT_GE(checked, 10u);
}

TEST_F(ConformanceDiff, GeneratedAndMutatedMessagesAgree) {
  std::mt19937 rng(20261122);
  std::size_t total = 0, accepted = 0, disagreements = 0;
  constexpr int kValidPerEvent = 10;
  constexpr int kMutatedPerEvent = 60;
  for (std::size_t e = 0; e < generated::kEventCount; ++e) {
    const generated::EventRow& row = generated::kEvents[e];
    // The oneOf resolved by S0.eventCode, as diphub and the DIP do (docs/conformance.md): an
    // event the spec lists in several variants is checked against its own, the schema of its
    // /validate path.
    const char* own = FindEventRows(row.interface_id, row.event_code).size() > 1
                          ? OwnVariant(row.interface_id, row.event_code)
                          : nullptr;
    valijson::Schema& schema = spec_.MessageSchema(row.interface_id, own ? own : "");
    for (int k = 0; k < kValidPerEvent + kMutatedPerEvent; ++k) {
      SampleOptions options;
      options.seed = static_cast<std::uint32_t>(e * 1000 + k);
      options.optional_share = (k % 3) * 0.5;
      json message = json::parse(SampleMessage(row, options));
      if (k >= kValidPerEvent) {
        Mutate(&message, &rng);
        if (k % 4 == 0) Mutate(&message, &rng);
      }
      std::string text = message.dump();
      bool oracle = ValijsonAccepts(schema, message);
      Status ours = DiphubVerdict(text, row.interface_id);
      ++total;
      accepted += oracle ? 1 : 0;
      if (ours.ok() != oracle) {
        ++disagreements;
        if (disagreements <= 10) {
          ADD_FAILURE() << row.interface_id << " " << row.event_code << ": valijson "
                        << (oracle ? "accepts" : "rejects") << ", diphub says " << ours.ToString()
                        << "\n"
                        << text;
        }
      }
    }
  }
  std::cout << "differential: " << total << " messages over " << generated::kEventCount
            << " event rows, " << accepted << " accepted by both, " << total - accepted
            << " rejected, " << disagreements << " disagreements\n";
  EXPECT_EQ(disagreements, 0u);
  EXPECT_GE(total, 10000u);
}

}  // namespace
}  // namespace diphub::dip
