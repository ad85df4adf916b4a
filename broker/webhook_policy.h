// Where webhooks may point (SSRF protection, docs/security.md). A participant chooses its
// webhook URL, and the hub POSTs to it from inside the operator's network: a URL naming a
// loopback, link-local (cloud metadata at 169.254.169.254), private or otherwise internal address
// would let a participant make the hub reach services no participant should reach. Such URLs are
// refused when registered (an IP literal or a localhost name), and every address a webhook's host
// resolves to is checked again before connecting (a name that resolves, or is rebound, to an
// internal address), unless the operator lists the block in webhooks.allow_internal.
// Thread-safety: immutable after Make(); safe from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <vector>

#include "dip/status.h"

namespace diphub::broker {

// The kind of internal address `a` is ("loopback", "private", "link-local", ...), or nullptr for
// a public unicast address. An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:0:0/96,
// IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4 address too.
const char* InternalAddressKind(const boost::asio::ip::address& a);

class WebhookPolicy {
 public:
  WebhookPolicy() = default;  // refuses every internal address

  // `allow_internal`: CIDR blocks ("127.0.0.0/8", "::1/128"; a bare address is one host) whose
  // addresses webhooks may reach although internal. A Config status names a bad entry.
  static dip::Result<WebhookPolicy> Make(const std::vector<std::string>& allow_internal);

  // Empty when the hub may connect to `a`; else why not, e.g. "127.0.0.1 is a loopback
  // address; webhooks to internal addresses are refused (SSRF) unless webhooks.allow_internal
  // lists them".
  std::string Refusal(const boost::asio::ip::address& a) const;

  // The registration check of a webhook URL: its syntax (broker/webhook_url.h: http or https,
  // no credentials), then a host given as an IP address (in any form the resolver takes, such
  // as 2130706433 or 0x7f.1) or as localhost / *.localhost is judged by Refusal(). Other names
  // are resolved only when connecting (the client checks each address then). The status's help
  // carries no field name: the caller prefixes it.
  dip::Status CheckUrl(const std::string& url) const;

  const std::vector<std::string>& allow_internal() const { return text_; }

 private:
  struct Block {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<Block> allowed_;
  std::vector<std::string> text_;
};

}  // namespace diphub::broker
