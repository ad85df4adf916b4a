#include "adapters/http/url.h"

namespace diphub::adapters::http {

dip::Result<Url> ParseUrl(const std::string& url) {
  Url u;
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return dip::Status::Config("URL \"" + url + "\": expected http://host[:port]/path");
  }
  u.scheme = url.substr(0, scheme_end);
  if (u.scheme != "http") {
    return dip::Status::Config("URL \"" + url +
                               "\": only http:// webhooks are supported so far (TLS egress is "
                               "not built yet)");
  }
  std::size_t host_start = scheme_end + 3;
  std::size_t path_start = url.find('/', host_start);
  std::string authority = url.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  u.target = path_start == std::string::npos ? "/" : url.substr(path_start);
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    std::size_t close = authority.find(']');
    if (close == std::string::npos)
      return dip::Status::Config("URL \"" + url + "\": bad IPv6 host");
    u.host = authority.substr(1, close - 1);
    u.port = close + 2 <= authority.size() && authority[close + 1] == ':'
                 ? authority.substr(close + 2)
                 : "80";
  } else if (colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = "80";
  }
  if (u.host.empty() || u.port.empty()) {
    return dip::Status::Config("URL \"" + url + "\": expected http://host[:port]/path");
  }
  return u;
}

}  // namespace diphub::adapters::http
