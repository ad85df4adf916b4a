// The parts of an http:// URL the webhook client needs.
#pragma once

#include <string>

#include "dip/status.h"

namespace diphub::adapters::http {

struct Url {
  std::string scheme;  // "http"
  std::string host;
  std::string port;    // "80" when absent
  std::string target;  // path and query, "/" when absent
};

dip::Result<Url> ParseUrl(const std::string& url);

}  // namespace diphub::adapters::http
