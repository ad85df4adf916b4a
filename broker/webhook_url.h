// A webhook URL taken apart: http:// or https://, host, port and target. URLs carrying
// credentials (user:password@host) are refused: a webhook authenticates the hub by its X-DIP
// signature, and a secret in the URL would be stored, logged and shown by the admin API.
#pragma once

#include <string>

#include "dip/status.h"

namespace diphub::broker {

struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address or an IPv6 address without its brackets
  std::string port;    // "80" (http) or "443" (https) when absent
  std::string target;  // path and query, "/" when absent
  bool tls() const { return scheme == "https"; }
};

// A Config status whose help says what is wrong (without a field name: the caller adds it).
dip::Result<WebhookUrl> ParseWebhookUrl(const std::string& url);

}  // namespace diphub::broker
