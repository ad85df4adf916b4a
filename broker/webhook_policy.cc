#include "broker/webhook_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>

#include "broker/webhook_url.h"

namespace diphub::broker {
namespace {

namespace ip = boost::asio::ip;

constexpr const char* kRule =
    "webhooks to internal addresses are refused (SSRF) unless webhooks.allow_internal lists them";

// True when the first `prefix` bits of `a` and `b` agree.
bool SamePrefix(std::span<const unsigned char> a, std::span<const unsigned char> b,
                unsigned prefix) {
  for (std::size_t i = 0; i < a.size() && prefix > 0; ++i) {
    unsigned bits = std::min(prefix, 8u);
    auto mask = static_cast<unsigned char>(0xFF << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

struct V4Range {
  std::uint32_t base;
  unsigned prefix;
  const char* kind;
};

// Everything but public unicast (RFC 6890's special-purpose registry, the parts a webhook has no
// business reaching).
constexpr V4Range kV4Internal[] = {
    {0x00000000, 8, "unspecified (0.0.0.0/8)"},
    {0x0A000000, 8, "private (10.0.0.0/8)"},
    {0x64400000, 10, "shared carrier-grade NAT (100.64.0.0/10)"},
    {0x7F000000, 8, "loopback (127.0.0.0/8)"},
    {0xA9FE0000, 16, "link-local (169.254.0.0/16, cloud metadata)"},
    {0xAC100000, 12, "private (172.16.0.0/12)"},
    {0xC0000000, 24, "IETF protocol assignment (192.0.0.0/24)"},
    {0xC0A80000, 16, "private (192.168.0.0/16)"},
    {0xC6120000, 15, "benchmarking (198.18.0.0/15)"},
    {0xE0000000, 4, "multicast (224.0.0.0/4)"},
    {0xF0000000, 4, "reserved or broadcast (240.0.0.0/4)"},
};

const char* V4Kind(const ip::address_v4& a) {
  const std::uint32_t v = a.to_uint();
  for (const V4Range& r : kV4Internal) {
    std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
    if ((v & mask) == r.base) return r.kind;
  }
  return nullptr;
}

struct V6Range {
  std::array<unsigned char, 16> base;
  unsigned prefix;
  const char* kind;
};

const V6Range kV6Internal[] = {
    {{}, 128, "unspecified (::)"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback (::1)"},
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, "discard-only (100::/64)"},
    {{0xFC}, 7, "unique local, private (fc00::/7)"},
    {{0xFE, 0x80}, 10, "link-local (fe80::/10)"},
    {{0xFE, 0xC0}, 10, "site-local (fec0::/10)"},
    {{0xFF}, 8, "multicast (ff00::/8)"},
};

// The IPv4 address an IPv6 one carries, if it is of a form that does.
std::optional<ip::address_v4> EmbeddedV4(const ip::address_v6& a) {
  const auto b = a.to_bytes();
  auto v4 = [&b](std::size_t at) {
    return ip::address_v4(ip::address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
  };
  static constexpr std::array<unsigned char, 16> kNat64{0x00, 0x64, 0xFF, 0x9B};
  static constexpr std::array<unsigned char, 16> k6to4{0x20, 0x02};
  if (a.is_v4_mapped()) return v4(12);
  if (SamePrefix(b, std::array<unsigned char, 16>{}, 96)) return v4(12);  // IPv4-compatible
  if (SamePrefix(b, kNat64, 96)) return v4(12);
  if (SamePrefix(b, k6to4, 16)) return v4(2);
  return std::nullopt;
}

// An IPv4-mapped IPv6 address as the IPv4 address it is; others unchanged.
ip::address Normalize(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const char* InternalAddressKind(const ip::address& address) {
  const ip::address a = Normalize(address);
  if (a.is_v4()) return V4Kind(a.to_v4());
  const auto b = a.to_v6().to_bytes();
  for (const V6Range& r : kV6Internal) {
    if (SamePrefix(b, r.base, r.prefix)) return r.kind;
  }
  if (auto v4 = EmbeddedV4(a.to_v6())) {
    if (const char* kind = V4Kind(*v4)) return kind;
  }
  return nullptr;
}

dip::Result<WebhookPolicy> WebhookPolicy::Make(const std::vector<std::string>& allow_internal) {
  WebhookPolicy p;
  for (const std::string& entry : allow_internal) {
    auto bad = [&entry]() {
      return dip::Status::Config("webhooks.allow_internal: \"" + entry +
                                 "\" is not an address block such as 127.0.0.0/8 or ::1/128");
    };
    std::size_t slash = entry.find('/');
    boost::system::error_code ec;
    Block block;
    block.base = Normalize(ip::make_address(entry.substr(0, slash), ec));
    if (ec) return bad();
    const unsigned width = block.base.is_v4() ? 32 : 128;
    block.prefix = width;
    if (slash != std::string::npos) {
      const char* first = entry.data() + slash + 1;
      const char* last = entry.data() + entry.size();
      auto [ptr, err] = std::from_chars(first, last, block.prefix);
      if (err != std::errc() || ptr != last || first == last) return bad();
      // A mapped IPv6 block (::ffff:127.0.0.0/104) is the IPv4 block it maps.
      if (block.base.is_v4() && entry.find(':') != std::string::npos) {
        if (block.prefix < 96) return bad();
        block.prefix -= 96;
      }
      if (block.prefix > width) return bad();
    }
    p.allowed_.push_back(block);
    p.text_.push_back(entry);
  }
  return p;
}

std::string WebhookPolicy::Refusal(const ip::address& address) const {
  const char* kind = InternalAddressKind(address);
  if (kind == nullptr) return "";
  const ip::address a = Normalize(address);
  for (const Block& b : allowed_) {
    if (b.base.is_v4() != a.is_v4()) continue;
    bool in = a.is_v4() ? SamePrefix(a.to_v4().to_bytes(), b.base.to_v4().to_bytes(), b.prefix)
                        : SamePrefix(a.to_v6().to_bytes(), b.base.to_v6().to_bytes(), b.prefix);
    if (in) return "";
  }
  return address.to_string() + " is a " + kind + " address; " + kRule;
}

dip::Status WebhookPolicy::CheckUrl(const std::string& url) const {
  dip::Result<WebhookUrl> parsed = ParseWebhookUrl(url);
  if (!parsed.ok()) return parsed.status();
  std::string host = Lower(parsed.value().host);
  if (!host.empty() && host.back() == '.') host.pop_back();
  auto refuse = [&url](const std::string& why) {
    return dip::Status::Config("\"" + url + "\": " + why);
  };
  if (host == "localhost" || host.ends_with(".localhost")) {
    // RFC 6761: these names are the loopback interface, whatever DNS says.
    if (Refusal(ip::make_address("127.0.0.1")).empty()) return dip::Status::Ok();
    return refuse(host + " names the loopback interface (RFC 6761); " + kRule);
  }
  ip::address address;
  if (host.find(':') != std::string::npos) {
    if (std::size_t zone = host.find("%25"); zone != std::string::npos) host.replace(zone, 3, "%");
    boost::system::error_code ec;
    address = ip::make_address(host, ec);
    if (ec) return refuse("the host is not a valid IPv6 address");
  } else if (in_addr v4{}; inet_aton(host.c_str(), &v4) != 0) {
    // inet_aton takes every form getaddrinfo does (127.1, 0x7f000001, 2130706433, 0177.0.0.1).
    address = ip::address_v4(ntohl(v4.s_addr));
  } else {
    return dip::Status::Ok();  // a name: checked when resolved, before each connect
  }
  if (std::string why = Refusal(address); !why.empty()) return refuse(why);
  return dip::Status::Ok();
}

}  // namespace diphub::broker
