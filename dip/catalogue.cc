#include "dip/catalogue.h"

#include <algorithm>
#include <array>
#include <vector>

#include "dip/text.h"

namespace diphub::dip {

std::optional<std::string_view> CanonicalInterface(std::string_view id) {
  for (std::size_t i = 0; i < generated::kInterfaceCount; ++i) {
    std::string_view known = generated::kInterfaces[i].id;
    if (EqualsIgnoreCase(known, id)) return known;
  }
  return std::nullopt;
}

namespace {

// Sorted keys "interface\nevent" and "interface\nversion" over kEvents, built once, so that the
// per-message look-ups are binary searches rather than scans of every row.
struct EventIndexTables {
  std::vector<std::string> event_keys;  // sorted; ties in catalogue order
  std::vector<std::uint32_t> event_rows;
  std::vector<std::string> version_keys;  // sorted, unique
};

std::string Key(std::string_view a, std::string_view b) {
  std::string key;
  key.reserve(a.size() + b.size() + 1);
  return key.append(a).append("\n").append(b);
}

const EventIndexTables& Tables() {
  static const EventIndexTables tables = [] {
    EventIndexTables t;
    std::vector<std::pair<std::string, std::uint32_t>> events;
    for (std::uint32_t i = 0; i < generated::kEventCount; ++i) {
      const auto& row = generated::kEvents[i];
      events.emplace_back(Key(row.interface_id, row.event_code), i);
      t.version_keys.push_back(Key(row.interface_id, row.schema_version));
    }
    std::sort(events.begin(), events.end());
    for (auto& [key, row] : events) {
      t.event_keys.push_back(std::move(key));
      t.event_rows.push_back(row);
    }
    std::sort(t.version_keys.begin(), t.version_keys.end());
    t.version_keys.erase(std::unique(t.version_keys.begin(), t.version_keys.end()),
                         t.version_keys.end());
    return t;
  }();
  return tables;
}

// "a\nb" in `buffer`, or nullopt when it does not fit (no catalogue key is that long).
std::optional<std::string_view> KeyIn(std::string_view a, std::string_view b,
                                      std::array<char, 128>* buffer) {
  if (a.size() + b.size() + 1 > buffer->size()) return std::nullopt;
  char* out = std::copy(a.begin(), a.end(), buffer->data());
  *out++ = '\n';
  out = std::copy(b.begin(), b.end(), out);
  return std::string_view(buffer->data(), static_cast<std::size_t>(out - buffer->data()));
}

}  // namespace

std::span<const std::uint32_t> FindEventRows(std::string_view interface_id,
                                             std::string_view event_code) {
  std::array<char, 128> buffer;
  std::optional<std::string_view> key = KeyIn(interface_id, event_code, &buffer);
  if (!key) return {};
  const EventIndexTables& t = Tables();
  auto [first, last] =
      std::equal_range(t.event_keys.begin(), t.event_keys.end(), *key,
                       [](std::string_view x, std::string_view y) { return x < y; });
  return std::span<const std::uint32_t>(t.event_rows.data() + (first - t.event_keys.begin()),
                                        static_cast<std::size_t>(last - first));
}

const generated::EventRow* FindEvent(std::string_view interface_id, std::string_view event_code) {
  std::span<const std::uint32_t> rows = FindEventRows(interface_id, event_code);
  return rows.empty() ? nullptr : &generated::kEvents[rows.front()];
}

const char* OwnVariant(std::string_view interface_id, std::string_view event_code) {
  // 127 rows, looked up only for an event the spec lists in more than one variant.
  for (std::size_t i = 0; i < generated::kValidatePathCount; ++i) {
    const generated::ValidatePathRow& row = generated::kValidatePaths[i];
    if (row.interface_id == interface_id && row.event_code == event_code) return row.variant;
  }
  return nullptr;
}

bool HasValidatePath(std::string_view interface_id, std::string_view event_code) {
  for (std::size_t i = 0; i < generated::kValidatePathCount; ++i) {
    const generated::ValidatePathRow& row = generated::kValidatePaths[i];
    if (row.interface_id == interface_id && row.event_code == event_code) return true;
  }
  return false;
}

namespace {

// The node of `name` among `node`'s declared properties, or nullopt.
std::optional<std::uint32_t> PropertyNode(std::uint32_t node, std::string_view name) {
  const generated::SchemaNode& n = generated::kSchemaNodes[node];
  for (std::uint32_t i = 0; i < n.property_count; ++i) {
    const generated::PropertyRow& p = generated::kProperties[n.first_property + i];
    if (EqualsIgnoreCase(p.name, name)) return p.node;
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string_view>& SchemaSenderRoles(std::string_view interface_id) {
  static const auto kByInterface = [] {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> out;
    for (std::size_t i = 0; i < generated::kEventCount; ++i) {
      const generated::EventRow& row = generated::kEvents[i];
      if (out.empty() || out.back().first != row.interface_id)
        out.push_back({row.interface_id, {}});
      std::optional<std::uint32_t> node = PropertyNode(row.schema_root, "CommonBlock");
      if (node) node = PropertyNode(*node, "S1");
      if (node) node = PropertyNode(*node, "senderRoleID");
      if (!node) continue;
      const generated::SchemaNode& n = generated::kSchemaNodes[*node];
      std::vector<std::string_view>& roles = out.back().second;
      for (std::uint32_t e = 0; e < n.enum_count; ++e) {
        std::string_view v = generated::kEnumValues[n.first_enum + e];
        if (v.data() != nullptr && std::find(roles.begin(), roles.end(), v) == roles.end()) {
          roles.push_back(v);
        }
      }
    }
    return out;
  }();
  static const std::vector<std::string_view> kNone;
  for (const auto& [iface, roles] : kByInterface) {
    if (iface == interface_id) return roles;
  }
  return kNone;
}

bool KnowsSchemaVersion(std::string_view interface_id, std::string_view version) {
  std::array<char, 128> buffer;
  std::optional<std::string_view> key = KeyIn(interface_id, version, &buffer);
  if (!key) return false;
  const EventIndexTables& t = Tables();
  return std::binary_search(t.version_keys.begin(), t.version_keys.end(), *key,
                            [](std::string_view x, std::string_view y) { return x < y; });
}

std::size_t EventIndex(const generated::EventRow* row) {
  return static_cast<std::size_t>(row - generated::kEvents);
}

std::optional<std::size_t> InterfaceIndex(std::string_view interface_id) {
  for (std::size_t i = 0; i < generated::kInterfaceCount; ++i) {
    if (interface_id == generated::kInterfaces[i].id) return i;
  }
  return std::nullopt;
}

std::string PublicationId(std::string_view interface_id) {
  if (interface_id.starts_with("IF-")) return "PUB-" + std::string(interface_id.substr(3));
  return std::string(interface_id);
}

std::optional<std::string_view> ChannelInterface(std::string_view channel) {
  if (channel.size() > 4 && EqualsIgnoreCase(channel.substr(0, 4), "PUB-")) {
    return CanonicalInterface("IF-" + std::string(channel.substr(4)));
  }
  return CanonicalInterface(channel);
}

}  // namespace diphub::dip
