#include "dip/catalogue.h"

#include "dip/text.h"

namespace diphub::dip {

std::optional<std::string_view> CanonicalInterface(std::string_view id) {
  for (std::size_t i = 0; i < generated::kInterfaceCount; ++i) {
    std::string_view known = generated::kInterfaces[i].id;
    if (EqualsIgnoreCase(known, id)) return known;
  }
  return std::nullopt;
}

const generated::EventRow* FindEvent(std::string_view interface_id, std::string_view event_code) {
  for (std::size_t i = 0; i < generated::kEventCount; ++i) {
    const auto& row = generated::kEvents[i];
    if (interface_id == row.interface_id && event_code == row.event_code) return &row;
  }
  return nullptr;
}

bool KnowsSchemaVersion(std::string_view interface_id, std::string_view version) {
  for (std::size_t i = 0; i < generated::kEventCount; ++i) {
    const auto& row = generated::kEvents[i];
    if (interface_id == row.interface_id && version == row.schema_version) return true;
  }
  return false;
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
