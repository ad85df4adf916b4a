// The participant registry: an immutable snapshot, looked up by DIP ID or API key. Changes make
// a new snapshot (copy-on-write), so readers on any thread hold a consistent view without locks
// on the hot path.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dip/status.h"
#include "routing/participant.h"

namespace diphub::routing {

class Registry {
 public:
  // Fails on a malformed DIP ID, an empty role, or a DIP ID or API key used twice.
  static dip::Result<std::shared_ptr<const Registry>> Build(std::vector<Participant> participants);

  const Participant* Find(std::string_view dip_id) const;
  const Participant* FindByApiKey(std::string_view api_key) const;
  // The participant whose registered certificate is `pem` (compared ignoring line endings and
  // trailing whitespace), or nullptr.
  const Participant* FindByCertificate(std::string_view pem) const;
  const std::vector<Participant>& all() const { return participants_; }

  // A copy with `p` added or replaced (by DIP ID).
  dip::Result<std::shared_ptr<const Registry>> With(Participant p) const;
  // A copy without `dip_id` (unchanged copy when absent).
  dip::Result<std::shared_ptr<const Registry>> Without(std::string_view dip_id) const;

 private:
  std::vector<Participant> participants_;
  std::unordered_map<std::string_view, std::size_t> by_id_;
  std::unordered_map<std::string_view, std::size_t> by_key_;
  std::unordered_map<std::string, std::size_t> by_certificate_;  // normalised PEM
};

// The registry rule for DIP IDs: exactly 10 characters, digits and upper-case letters.
bool IsValidDipId(std::string_view id);

}  // namespace diphub::routing
