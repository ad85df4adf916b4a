// DIP message signatures (the four X-DIP headers):
//   X-DIP-Signature-Date         UTC, "2025-06-27T14:29:09.061Z"
//   X-DIP-Content-Hash           base64(SHA-256(body bytes))
//   X-DIP-Signature-Certificate  base64(signer's PEM certificate)
//   X-DIP-Signature              base64(RSA PKCS#1 v1.5 SHA-256 over
//                                       "METHOD;lowercased full URL;date;contentHash")
// Built on OpenSSL. Sign once per HTTP request (a webhook batch), never per message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dip/status.h"

namespace diphub::dip {

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// base64(SHA-256(body)).
std::string ContentHash(std::string_view body);

// "POST;http://host:port/path;2025-06-27T14:29:09.061Z;<hash>" with the URL lowercased.
std::string SigningString(std::string_view method, std::string_view url, std::string_view date,
                          std::string_view content_hash);

struct SignatureHeaders {
  std::string date;
  std::string content_hash;
  std::string certificate;  // base64 of the PEM
  std::string signature;
};

// Holds a private key and its certificate. Immutable after construction; Sign() is safe from any
// thread (concurrent calls use separate OpenSSL contexts, each prepared once and kept for reuse:
// as many as calls ever ran at once).
class Signer {
 public:
  static Result<std::shared_ptr<const Signer>> FromPem(std::string_view key_pem,
                                                       std::string_view cert_pem);
  ~Signer();

  // base64 RSA-SHA256 signature of `data`.
  Result<std::string> Sign(std::string_view data) const;
  SignatureHeaders SignRequest(std::string_view method, std::string_view url, std::string_view body,
                               std::string_view date) const;
  const std::string& certificate_pem() const { return cert_pem_; }
  const std::string& certificate_b64() const { return cert_b64_; }

 private:
  Signer() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::string cert_pem_;
  std::string cert_b64_;
};

// Checks a request's X-DIP headers against its body: the content hash, then the signature with
// the public key of the certificate in `certificate_b64`. RCP9999 on any mismatch.
Status VerifyRequest(std::string_view method, std::string_view url, std::string_view body,
                     const SignatureHeaders& headers);

// Verifies requests, keeping each certificate it has seen parsed (participants send the same
// certificate every time, so parsing it once takes ~90% off the cost of a verification).
// Safe from any thread. The cache holds at most `capacity` certificates; past that it is
// cleared and refilled.
class Verifier {
 public:
  explicit Verifier(std::size_t capacity = 1024);
  ~Verifier();
  // As VerifyRequest; on success `*certificate_pem` (if given) is the signer's PEM.
  Status Verify(std::string_view method, std::string_view url, std::string_view body,
                const SignatureHeaders& headers, std::string* certificate_pem = nullptr);

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

struct KeyAndCertificate {
  std::string key_pem;
  std::string cert_pem;
};
// A fresh RSA-2048 key and a self-signed certificate (CN = common_name, valid 10 years), for the
// hub's own identity when the configuration names none.
Result<KeyAndCertificate> GenerateSelfSigned(std::string_view common_name);

}  // namespace diphub::dip
