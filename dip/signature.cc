#include "dip/signature.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <ctime>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "dip/text.h"

namespace diphub::dip {
namespace {

constexpr std::string_view kSignatureInvalid = "RCP9999";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

BioPtr MemBio(std::string_view s) {
  return BioPtr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// SHA-256 fetched from the default provider once: EVP_sha256() makes OpenSSL 3 fetch the
// implementation again on every use.
const EVP_MD* Sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

using Digest = std::array<unsigned char, 32>;

// SHA-256 of `data` in one pass, with a digest context kept per thread.
bool Sha256Of(std::string_view data, Digest* out) {
  thread_local MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  return ctx && Sha256() != nullptr && EVP_DigestInit_ex2(ctx.get(), Sha256(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(ctx.get(), out->data(), &len) == 1 && len == out->size();
}

// A verification context for one public key, prepared once: PKCS#1 v1.5 padding (for RSA keys)
// over a SHA-256 digest. EVP_PKEY_verify may be called on it any number of times.
PkeyCtxPtr PrepareVerify(EVP_PKEY* key) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return nullptr;
  if (EVP_PKEY_is_a(key, "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), Sha256()) != 1) return nullptr;
  return ctx;
}

// Whether `signature` is the key's signature of SHA-256(`signed_text`).
bool VerifyDigest(EVP_PKEY_CTX* ctx, std::string_view signature, std::string_view signed_text) {
  Digest digest{};
  if (ctx == nullptr || !Sha256Of(signed_text, &digest)) return false;
  return EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), digest.data(), digest.size()) == 1;
}

// Prepared verification contexts of the keys this thread has verified with, most recent last.
// Each holds its key, so a key's address is never reused while its context is kept.
struct PreparedKey {
  std::shared_ptr<EVP_PKEY> key;
  PkeyCtxPtr ctx;
};

EVP_PKEY_CTX* ThreadVerifyContext(const std::shared_ptr<EVP_PKEY>& key) {
  constexpr std::size_t kKept = 16;
  thread_local std::vector<PreparedKey> prepared;
  for (std::size_t i = prepared.size(); i-- > 0;) {
    if (prepared[i].key == key) return prepared[i].ctx.get();
  }
  PkeyCtxPtr ctx = PrepareVerify(key.get());
  if (!ctx) return nullptr;
  if (prepared.size() >= kKept) prepared.erase(prepared.begin());
  prepared.push_back({key, std::move(ctx)});
  return prepared.back().ctx.get();
}

// A signing context for a private key, prepared once: PKCS#1 v1.5 padding (for RSA keys) over a
// SHA-256 digest, as PrepareVerify. EVP_PKEY_sign may be called on it any number of times.
PkeyCtxPtr PrepareSign(EVP_PKEY* key) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return nullptr;
  if (EVP_PKEY_is_a(key, "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return nullptr;
  }
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), Sha256()) != 1) return nullptr;
  return ctx;
}

}  // namespace

// The private key and its prepared signing contexts: one is taken for each signature and given
// back after it, so a context is used by one thread at a time and set up once per concurrent
// signer rather than once per signature (EVP_DigestSignInit fetched the algorithm and made a
// context each time).
struct Signer::Key {
  PkeyPtr pkey;
  std::mutex mu;
  std::vector<PkeyCtxPtr> idle;  // guarded by mu

  PkeyCtxPtr Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        PkeyCtxPtr ctx = std::move(idle.back());
        idle.pop_back();
        return ctx;
      }
    }
    return PrepareSign(pkey.get());
  }
  void Give(PkeyCtxPtr ctx) {
    std::lock_guard lock(mu);
    idle.push_back(std::move(ctx));
  }
};

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.size() % 4 != 0) {
    return Status::Dip(kSignatureInvalid, "base64 text length is not a multiple of 4");
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Status::Dip(kSignatureInvalid, "invalid base64");
  std::size_t len = static_cast<std::size_t>(n);
  if (text.size() >= 1 && text[text.size() - 1] == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string ContentHash(std::string_view body) {
  Digest digest{};
  if (!Sha256Of(body, &digest)) return {};
  return Base64Encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string SigningString(std::string_view method, std::string_view url, std::string_view date,
                          std::string_view content_hash) {
  std::string out;
  out.reserve(method.size() + url.size() + date.size() + content_hash.size() + 3);
  out.append(method).append(";").append(ToLowerAscii(url)).append(";");
  out.append(date).append(";").append(content_hash);
  return out;
}

Signer::~Signer() = default;

Result<std::shared_ptr<const Signer>> Signer::FromPem(std::string_view key_pem,
                                                      std::string_view cert_pem) {
  BioPtr kb = MemBio(key_pem);
  PkeyPtr pkey(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!pkey) return Status::Config("hub private key: not a PEM private key");
  BioPtr cb = MemBio(cert_pem);
  X509Ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Config("hub certificate: not a PEM X.509 certificate");
  if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
    return Status::Config("hub certificate: does not match the private key");
  }
  std::shared_ptr<Signer> s(new Signer());
  s->key_ = std::make_unique<Key>();
  s->key_->pkey = std::move(pkey);
  s->cert_pem_.assign(cert_pem);
  s->cert_b64_ = Base64Encode(cert_pem);
  return std::shared_ptr<const Signer>(std::move(s));
}

Result<std::string> Signer::Sign(std::string_view data) const {
  Digest digest{};
  PkeyCtxPtr ctx = key_->Take();
  if (!ctx || !Sha256Of(data, &digest)) return Status::Io("signing failed");
  std::size_t len = static_cast<std::size_t>(EVP_PKEY_get_size(key_->pkey.get()));
  std::string sig(len, '\0');
  const bool ok = EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                                digest.data(), digest.size()) == 1;
  if (!ok) return Status::Io("signing failed");  // the context is dropped, not reused
  key_->Give(std::move(ctx));
  sig.resize(len);
  return Base64Encode(sig);
}

SignatureHeaders Signer::SignRequest(std::string_view method, std::string_view url,
                                     std::string_view body, std::string_view date) const {
  SignatureHeaders h;
  h.date.assign(date);
  h.content_hash = ContentHash(body);
  h.certificate = cert_b64_;
  Result<std::string> sig = Sign(SigningString(method, url, date, h.content_hash));
  if (sig.ok()) h.signature = std::move(sig).value();
  return h;
}

Status VerifyRequest(std::string_view method, std::string_view url, std::string_view body,
                     const SignatureHeaders& headers) {
  if (headers.date.empty() || headers.content_hash.empty() || headers.certificate.empty() ||
      headers.signature.empty()) {
    return Status::Dip(kSignatureInvalid, "X-DIP signature headers: one or more missing");
  }
  if (ContentHash(body) != headers.content_hash) {
    return Status::Dip(kSignatureInvalid,
                       "X-DIP-Content-Hash: does not match base64(SHA-256) of the body");
  }
  Result<std::string> pem = Base64Decode(headers.certificate);
  if (!pem.ok())
    return Status::Dip(kSignatureInvalid, "X-DIP-Signature-Certificate: invalid base64");
  BioPtr cb = MemBio(pem.value());
  X509Ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return Status::Dip(kSignatureInvalid, "X-DIP-Signature-Certificate: not a PEM certificate");
  }
  PkeyPtr pub(X509_get_pubkey(cert.get()));
  Result<std::string> sig = Base64Decode(headers.signature);
  if (!pub || !sig.ok()) return Status::Dip(kSignatureInvalid, "X-DIP-Signature: invalid");
  std::string signed_text = SigningString(method, url, headers.date, headers.content_hash);
  PkeyCtxPtr ctx = PrepareVerify(pub.get());
  if (!VerifyDigest(ctx.get(), sig.value(), signed_text)) {
    return Status::Dip(kSignatureInvalid,
                       "X-DIP-Signature: does not verify against the certificate for "
                       "METHOD;url;date;contentHash");
  }
  return Status::Ok();
}

struct Verifier::Cache {
  struct Entry {
    std::shared_ptr<EVP_PKEY> key;
    std::string pem;
  };
  std::mutex mu;
  std::unordered_map<std::string, Entry> by_b64;
  std::size_t capacity;
};

Verifier::Verifier(std::size_t capacity) : cache_(std::make_unique<Cache>()) {
  cache_->capacity = capacity;
}
Verifier::~Verifier() = default;

Status Verifier::Verify(std::string_view method, std::string_view url, std::string_view body,
                        const SignatureHeaders& headers, std::string* certificate_pem) {
  if (headers.date.empty() || headers.content_hash.empty() || headers.certificate.empty() ||
      headers.signature.empty()) {
    return Status::Dip(kSignatureInvalid,
                       "X-DIP-Signature, -Signature-Date, -Content-Hash and "
                       "-Signature-Certificate are all required");
  }
  if (ContentHash(body) != headers.content_hash) {
    return Status::Dip(kSignatureInvalid,
                       "X-DIP-Content-Hash: does not match base64(SHA-256) of the body");
  }
  // The certificate this thread saw last (a connection's sender sends the same one every time)
  // is compared directly; others are looked up in the shared cache, which hashes the text.
  thread_local std::string last_b64;
  thread_local Cache::Entry last;
  Cache::Entry entry;
  if (last.key && last_b64 == headers.certificate) {
    entry = last;
  } else {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->by_b64.find(headers.certificate);
    if (it != cache_->by_b64.end()) entry = it->second;
  }
  if (!entry.key) {
    Result<std::string> pem = Base64Decode(headers.certificate);
    if (!pem.ok()) {
      return Status::Dip(kSignatureInvalid, "X-DIP-Signature-Certificate: invalid base64");
    }
    BioPtr cb = MemBio(pem.value());
    X509Ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      return Status::Dip(kSignatureInvalid,
                         "X-DIP-Signature-Certificate: not a base64 PEM certificate");
    }
    EVP_PKEY* pub = X509_get_pubkey(cert.get());
    if (pub == nullptr) {
      return Status::Dip(kSignatureInvalid, "X-DIP-Signature-Certificate: no public key");
    }
    entry.key = std::shared_ptr<EVP_PKEY>(pub, EVP_PKEY_free);
    entry.pem = std::move(pem).value();
    std::lock_guard lock(cache_->mu);
    if (cache_->by_b64.size() >= cache_->capacity) cache_->by_b64.clear();
    cache_->by_b64.emplace(headers.certificate, entry);
  }
  Result<std::string> sig = Base64Decode(headers.signature);
  if (!sig.ok()) return Status::Dip(kSignatureInvalid, "X-DIP-Signature: invalid base64");
  std::string signed_text = SigningString(method, url, headers.date, headers.content_hash);
  if (!VerifyDigest(ThreadVerifyContext(entry.key), sig.value(), signed_text)) {
    return Status::Dip(kSignatureInvalid,
                       "X-DIP-Signature: does not verify against the certificate for "
                       "METHOD;lowercased URL;date;contentHash");
  }
  if (last.key != entry.key) {
    last_b64 = headers.certificate;
    last = entry;
  }
  if (certificate_pem != nullptr) *certificate_pem = entry.pem;
  return Status::Ok();
}

Result<KeyAndCertificate> GenerateSelfSigned(std::string_view common_name) {
  PkeyPtr pkey(EVP_RSA_gen(2048));
  if (!pkey) return Status::Io("RSA key generation failed");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), pkey.get(), EVP_sha256()) == 0) {
    return Status::Io("self-signed certificate: signing failed");
  }
  BioPtr kb(BIO_new(BIO_s_mem()));
  BioPtr cb(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(kb.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cb.get(), cert.get());
  return KeyAndCertificate{BioString(kb.get()), BioString(cb.get())};
}

}  // namespace diphub::dip
