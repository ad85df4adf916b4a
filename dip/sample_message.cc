#include "dip/sample_message.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>
#include <string_view>

namespace diphub::dip {
namespace gen = generated;
namespace {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

class Sampler {
 public:
  Sampler(const gen::EventRow& row, const SampleOptions& options)
      : options_(options), rng_(options.seed) {
    fixed_ = options.fixed;
    auto quoted = [](std::string_view s) {
      std::string q;
      AppendQuoted(s, &q);
      return q;
    };
    fixed_.emplace_back("CommonBlock.S0.eventCode", quoted(row.event_code));
    fixed_.emplace_back("CommonBlock.S0.schemaVersion", quoted(row.schema_version));
    fixed_.emplace_back("CommonBlock.S0.interfaceID", quoted(row.interface_id));
  }

  void Value(std::uint32_t index, std::string& path, std::string* out) {
    for (const auto& [where, json] : fixed_) {
      if (where == path) {
        *out += json;
        return;
      }
    }
    const gen::SchemaNode& n = gen::kSchemaNodes[index];
    if (index == 0) {
      *out += "{}";
      return;
    }
    // Null only where the spec says nullable (an untyped node accepts null too, but the hub
    // needs the blocks it reads to be objects).
    bool null_allowed = (n.types & gen::kTypeNull) != 0 && n.types != gen::kTypeAny &&
                        (n.enum_count == 0 || EnumHasNull(n));
    if (null_allowed && (n.types == gen::kTypeNull || Chance(options_.null_share))) {
      *out += "null";
      return;
    }
    if (n.types & gen::kTypeObject) return Object(n, path, out);
    if (n.types & gen::kTypeArray) return Array(n, path, out);
    if (n.types & gen::kTypeString) {
      std::size_t dot = path.rfind('.');
      return String(n, dot == std::string::npos ? path : std::string_view(path).substr(dot + 1),
                    out);
    }
    if (n.types & (gen::kTypeInteger | gen::kTypeNumber)) return Number(n, out);
    if (n.types & gen::kTypeBoolean) {
      *out += Chance(0.5) ? "true" : "false";
      return;
    }
    *out += "null";
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::uint32_t Between(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }

  static bool EnumHasNull(const gen::SchemaNode& n) {
    for (std::uint32_t i = 0; i < n.enum_count; ++i) {
      if (gen::kEnumValues[n.first_enum + i].data() == nullptr) return true;
    }
    return false;
  }

  void Object(const gen::SchemaNode& n, std::string& path, std::string* out) {
    out->push_back('{');
    bool first = true;
    for (std::uint32_t i = 0; i < n.property_count; ++i) {
      const gen::PropertyRow& p = gen::kProperties[n.first_property + i];
      std::size_t mark = path.size();
      if (!path.empty()) path += '.';
      path += p.name;
      bool fixed = false;
      for (const auto& entry : fixed_) {
        fixed = fixed || entry.first == path ||
                (entry.first.size() > path.size() && entry.first.starts_with(path) &&
                 entry.first[path.size()] == '.');
      }
      if (p.required || fixed || Chance(options_.optional_share)) {
        if (!first) out->push_back(',');
        first = false;
        AppendQuoted(p.name, out);
        out->push_back(':');
        Value(p.node, path, out);
      }
      path.resize(mark);
    }
    out->push_back('}');
  }

  void Array(const gen::SchemaNode& n, std::string& path, std::string* out) {
    std::size_t mark = path.size();
    path += "[]";
    std::uint32_t count = Between(n.min_items, n.min_items + options_.extra_items);
    for (const auto& [where, size] : options_.list_sizes) {
      if (where + "[]" == path) count = size;
    }
    count = std::clamp(count, n.min_items, n.max_items);
    out->push_back('[');
    for (std::uint32_t i = 0; i < count; ++i) {
      if (i > 0) out->push_back(',');
      Value(n.items, path, out);
    }
    out->push_back(']');
    path.resize(mark);
  }

  // `name` is the field's name: dates and timestamps (by name and length) get real values, so
  // that the hub's routing, which reads appointment dates, can use the sample too.
  void String(const gen::SchemaNode& n, std::string_view name, std::string* out) {
    if (n.enum_count != 0) {
      std::vector<std::string_view> values;
      for (std::uint32_t i = 0; i < n.enum_count; ++i) {
        std::string_view v = gen::kEnumValues[n.first_enum + i];
        if (v.data() != nullptr) values.push_back(v);
      }
      if (!values.empty()) {
        AppendQuoted(values[Between(0, static_cast<std::uint32_t>(values.size() - 1))], out);
        return;
      }
    }
    std::uint32_t lo = n.min_length;
    std::uint32_t hi = std::min<std::uint32_t>(n.max_length, lo + 12);
    const bool dated = name.find("Date") != std::string_view::npos ||
                       name.find("Timestamp") != std::string_view::npos;
    if (n.pattern < 0 && dated && lo == 25 && n.max_length == 25) {
      *out += "\"2026-11-22T09:30:00+00:00\"";
      return;
    }
    if (n.pattern < 0 && dated && lo == 10 && n.max_length == 10) {
      *out += "\"2026-11-22\"";
      return;
    }
    if (n.pattern >= 0) {
      AppendQuoted(FromPattern(gen::kPatterns[n.pattern], lo, n.max_length), out);
      return;
    }
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";
    std::string s(Between(lo, hi), 'x');
    for (char& c : s) c = kAlphabet[Between(0, static_cast<std::uint32_t>(kAlphabet.size() - 2))];
    AppendQuoted(s, out);
  }

  // A random string the DFA accepts, of [lo, hi] bytes, from printable ASCII.
  std::string FromPattern(const gen::PatternRow& p, std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t states = p.state_count;
    // Steps from each state to acceptance, by backwards breadth-first search.
    std::vector<std::uint32_t> dist(states, UINT32_MAX);
    std::deque<std::uint32_t> queue;
    for (std::uint32_t s = 0; s < states; ++s) {
      if (p.accept[s]) {
        dist[s] = 0;
        queue.push_back(s);
      }
    }
    while (!queue.empty()) {
      std::uint32_t to = queue.front();
      queue.pop_front();
      for (std::uint32_t s = 0; s < states; ++s) {
        if (dist[s] != UINT32_MAX) continue;
        for (std::uint32_t c = 0; c < p.class_count; ++c) {
          if (p.next[s * p.class_count + c] == to && !Printable(p, c).empty()) {
            dist[s] = dist[to] + 1;
            queue.push_back(s);
            break;
          }
        }
      }
    }
    for (int attempt = 0; attempt < 200; ++attempt) {
      std::string s;
      std::uint32_t state = p.start;
      std::uint32_t target = Between(lo, std::min<std::uint32_t>(hi, lo + 24));
      while (true) {
        if (p.accept[state] && s.size() >= lo && (s.size() >= target || Chance(0.05))) return s;
        std::vector<std::uint32_t> options;
        for (std::uint32_t c = 0; c < p.class_count; ++c) {
          std::uint32_t next = p.next[state * p.class_count + c];
          if (next != 0 && dist[next] != UINT32_MAX && s.size() + 1 + dist[next] <= hi &&
              !Printable(p, c).empty()) {
            options.push_back(c);
          }
        }
        if (options.empty()) break;
        std::uint32_t c = options[Between(0, static_cast<std::uint32_t>(options.size() - 1))];
        const std::string& bytes = Printable(p, c);
        s.push_back(bytes[Between(0, static_cast<std::uint32_t>(bytes.size() - 1))]);
        state = p.next[state * p.class_count + c];
      }
    }
    return {};  // no string fits; the validator will say so
  }

  // Printable ASCII bytes of a byte class (no quote or backslash, to keep the JSON plain).
  const std::string& Printable(const gen::PatternRow& p, std::uint32_t c) {
    if (printable_for_ != &p) {
      printable_for_ = &p;
      printable_.assign(p.class_count, std::string());
      for (int b = 0x21; b < 0x7f; ++b) {
        if (b == '"' || b == '\\') continue;
        printable_[p.byte_class[b]].push_back(static_cast<char>(b));
      }
    }
    return printable_[c];
  }

  void Number(const gen::SchemaNode& n, std::string* out) {
    bool integer = (n.types & gen::kTypeNumber) == 0;
    double lo = (n.bounds & gen::kHasMinimum) ? n.minimum : 0;
    double hi = (n.bounds & gen::kHasMaximum) ? n.maximum : lo + 1000;
    if (n.bounds & gen::kHasMultipleOf) {
      double m = n.multiple_of;
      if (m != std::floor(m) && lo <= 0 && hi >= 0) {  // see docs/conformance.md
        *out += "0";
        return;
      }
      double k_lo = std::ceil(lo / m), k_hi = std::floor(hi / m);
      double k =
          k_lo + std::floor(std::uniform_real_distribution<double>(0, 1)(rng_) * (k_hi - k_lo + 1));
      *out += std::to_string(static_cast<long long>(std::min(k, k_hi) * m));
      return;
    }
    double v = std::floor(lo + std::uniform_real_distribution<double>(0, 1)(rng_) * (hi - lo));
    v = std::clamp(v, std::ceil(lo), std::floor(hi));
    *out += std::to_string(static_cast<long long>(v));
    if (!integer && v + 0.5 <= hi && Chance(0.5)) *out += ".5";
  }

  const SampleOptions& options_;
  std::mt19937 rng_;
  std::vector<std::pair<std::string, std::string>> fixed_;
  const gen::PatternRow* printable_for_ = nullptr;
  std::vector<std::string> printable_;
};

}  // namespace

std::string SampleMessage(const gen::EventRow& row, const SampleOptions& options) {
  Sampler sampler(row, options);
  std::string out = "{\"payload\":";
  std::string path;
  sampler.Value(row.schema_root, path, &out);
  out += "}";
  return out;
}

std::vector<std::pair<std::string, std::string>> HubEnvelope(const std::string& sender_dip_id,
                                                             const std::string& sender_role,
                                                             const std::string& environment_tag) {
  return {{"CommonBlock.S1.environmentTag", "\"" + environment_tag + "\""},
          {"CommonBlock.S1.senderTimestamp", "\"2026-11-22T09:30:00+00:00\""},
          {"CommonBlock.S1.senderDIPID", "\"" + sender_dip_id + "\""},
          {"CommonBlock.S1.senderRoleID", "\"" + sender_role + "\""},
          {"CommonBlock.S1.DIPConnectionProviderID", "null"}};
}

}  // namespace diphub::dip
