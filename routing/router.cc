#include "routing/router.h"

#include "dip/codes.h"

namespace diphub::routing {

dip::Result<std::vector<Recipient>> Route(const dip::Envelope& env, const Registry& registry) {
  if (!env.has_a0 || !env.primary_recipients_present) {
    return dip::Status::Dip(dip::codes::kAddressingError,
                            "A0.primaryRecipients: required; name at least one recipient DIP ID");
  }
  std::vector<Recipient> out;
  out.reserve(env.primary_recipients.size());
  for (std::size_t i = 0; i < env.primary_recipients.size(); ++i) {
    const std::string& id = env.primary_recipients[i];
    if (registry.Find(id) == nullptr) {
      return dip::Status::Dip(dip::codes::kPrimaryRecipientInvalid,
                              "A0.primaryRecipients[" + std::to_string(i) + "]: \"" + id +
                                  "\" is not a registered DIP ID");
    }
    bool seen = false;
    for (const Recipient& r : out) seen = seen || r.dip_id == id;
    if (!seen) out.push_back({id, Recipient::Kind::kPrimary});
  }
  if (out.empty()) {
    return dip::Status::Dip(dip::codes::kAddressingError,
                            "A0.primaryRecipients: empty; name at least one recipient DIP ID");
  }
  return out;
}

}  // namespace diphub::routing
