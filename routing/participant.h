// A market participant as the hub knows it: one DIP ID in one role.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace diphub::routing {

struct Webhook {
  std::string url;               // http://host:port/path
  std::size_t max_messages = 0;  // per POST; 0 = the hub's default (delivery.max_messages_per_post)
  std::size_t max_bytes = 0;     // per POST; 0 = the hub's default (delivery.max_bytes_per_post)
};

struct Participant {
  std::string dip_id;            // 10 characters, e.g. "1100000001"
  std::string role;              // SDS, MDR, SUP, REGS, ...
  std::uint32_t role_bit = 0;    // RoleBit(role), set by Registry::Build (0: not a known role)
  std::string mpid;              // market participant ID, e.g. "SDSA"
  std::string api_key;           // X-API-Key; empty = none (only when auth allows it)
  std::string certificate_pem;   // for signature checks (conformance issue); may be empty
  std::string adapter = "http";  // the edge adapter that delivers to this participant
  std::string zmq_public_key;    // CURVE public key (Z85, 40 characters) for the zmq adapter
  // The DIP ID of the connection provider registered to send and sign on this participant's
  // behalf (naming itself as S1.DIPConnectionProviderID); empty = none.
  std::string connection_provider;
  // Webhook per channel ("IF-061"); the key "*" is the default for every other channel.
  std::map<std::string, Webhook, std::less<>> webhooks;

  // The webhook for deliveries on `interface_id`, if any.
  const Webhook* WebhookFor(std::string_view interface_id) const {
    if (auto it = webhooks.find(interface_id); it != webhooks.end()) return &it->second;
    if (auto it = webhooks.find("*"); it != webhooks.end()) return &it->second;
    return nullptr;
  }
};

}  // namespace diphub::routing
