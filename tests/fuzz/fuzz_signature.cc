// libFuzzer target: the X-DIP signature headers and the DIP's time formats as an attacker sends
// them. The input is split at '\n' into
//   method, url, body, X-DIP-Signature-Date, X-DIP-Content-Hash, X-DIP-Signature-Certificate,
//   X-DIP-Signature
// Fields past the end of the input are filled in correctly with a fixed self-signed key, so
// short inputs exercise the happy path: when none of the four headers comes from the input,
// verification must succeed (invariant).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dip/dip_time.h"
#include "dip/signature.h"

namespace {

namespace dip = diphub::dip;

const dip::Signer& FixedSigner() {
  static const std::shared_ptr<const dip::Signer> signer = [] {
    dip::Result<dip::KeyAndCertificate> kc = dip::GenerateSelfSigned("diphub-fuzz");
    if (!kc.ok()) {
      std::fprintf(stderr, "GenerateSelfSigned: %s\n", kc.status().ToString().c_str());
      std::abort();
    }
    auto s = dip::Signer::FromPem(kc.value().key_pem, kc.value().cert_pem);
    if (!s.ok()) {
      std::fprintf(stderr, "Signer::FromPem: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    return s.value();
  }();
  return *signer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    std::size_t nl = input.find('\n', start);
    fields.emplace_back(input.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }

  for (const std::string& f : fields) {
    (void)dip::Base64Decode(f);
    (void)dip::ParseSignatureDateMs(f);
    (void)dip::ParseDipTimestampMs(f);
    (void)dip::IsDipTimestamp(f);
  }
  if (fields.size() > 8) return 0;  // the rest is about the seven fields

  const dip::Signer& signer = FixedSigner();
  auto field = [&](std::size_t i) -> const std::string* {
    return i < fields.size() ? &fields[i] : nullptr;
  };
  const std::string method = field(0) ? *field(0) : "POST";
  const std::string url = field(1) ? *field(1) : "http://127.0.0.1:8080/dip-channel/IF-061";
  const std::string body = field(2) ? *field(2) : "[]";
  dip::SignatureHeaders h;
  h.date = field(3) ? *field(3) : "2026-11-22T09:30:00.000Z";
  h.content_hash = field(4) ? *field(4) : dip::ContentHash(body);
  h.certificate = field(5) ? *field(5) : signer.certificate_b64();
  if (field(6)) {
    h.signature = *field(6);
  } else {
    dip::Result<std::string> sig =
        signer.Sign(dip::SigningString(method, url, h.date, h.content_hash));
    if (sig.ok()) h.signature = std::move(sig).value();
  }
  (void)dip::ParseSignatureDateMs(h.date);

  // A small cache, so that its clear-and-refill path runs too.
  static dip::Verifier verifier(4);
  std::string pem;
  dip::Status s = verifier.Verify(method, url, body, h, &pem);
  dip::Status plain = dip::VerifyRequest(method, url, body, h);
  if (s.ok() != plain.ok()) {
    std::fprintf(stderr, "Verifier::Verify (%s) and VerifyRequest (%s) disagree\n",
                 s.ToString().c_str(), plain.ToString().c_str());
    std::abort();
  }
  if (fields.size() <= 3 && !s.ok()) {
    std::fprintf(stderr, "a correctly signed request does not verify: %s\n", s.ToString().c_str());
    std::abort();
  }
  if (fields.size() <= 3 && pem != signer.certificate_pem()) {
    std::fprintf(stderr, "Verify returned a different certificate PEM\n");
    std::abort();
  }
  return 0;
}
