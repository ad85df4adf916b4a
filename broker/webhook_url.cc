#include "broker/webhook_url.h"

#include <charconv>

namespace diphub::broker {

dip::Result<WebhookUrl> ParseWebhookUrl(const std::string& url) {
  auto bad = [&url](const std::string& what) {
    return dip::Status::Config("\"" + url + "\": " + what);
  };
  const std::string expected = "expected http[s]://host[:port]/path";
  WebhookUrl u;
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return bad(expected);
  u.scheme = url.substr(0, scheme_end);
  if (u.scheme != "http" && u.scheme != "https") {
    return bad("the scheme must be http or https");
  }
  const std::string default_port = u.tls() ? "443" : "80";
  std::size_t host_start = scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", host_start);
  std::string authority =
      url.substr(host_start, authority_end == std::string::npos ? std::string::npos
                                                                : authority_end - host_start);
  if (authority_end == std::string::npos) {
    u.target = "/";
  } else if (url[authority_end] == '/') {
    u.target = url.substr(authority_end);
  } else {
    u.target = "/" + url.substr(authority_end);
  }
  if (std::size_t hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  if (authority.find('@') != std::string::npos) {
    return bad(
        "a webhook URL must not carry credentials (user:password@); the hub signs its "
        "deliveries instead");
  }
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    std::size_t close = authority.find(']');
    if (close == std::string::npos) return bad("bad IPv6 host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 == authority.size()) {
      u.port = default_port;
    } else if (authority[close + 1] == ':') {
      u.port = authority.substr(close + 2);
    } else {
      return bad("bad IPv6 host");
    }
  } else if (colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = default_port;
  }
  if (u.host.empty() || u.port.empty()) return bad(expected);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(u.port.data(), u.port.data() + u.port.size(), port);
  if (ec != std::errc() || ptr != u.port.data() + u.port.size() || port < 1 || port > 65535) {
    return bad("the port must be 1 to 65535");
  }
  return u;
}

}  // namespace diphub::broker
