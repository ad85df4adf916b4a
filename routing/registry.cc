#include "routing/registry.h"

#include "routing/publications.h"

namespace diphub::routing {

namespace {

std::string NormalisePem(std::string_view pem) {
  std::string out;
  out.reserve(pem.size());
  for (char c : pem) {
    if (c != '\r') out.push_back(c);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t')) {
    out.pop_back();
  }
  return out;
}

}  // namespace

bool IsValidDipId(std::string_view id) {
  if (id.size() != 10) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

dip::Result<std::shared_ptr<const Registry>> Registry::Build(
    std::vector<Participant> participants) {
  auto r = std::make_shared<Registry>();
  r->participants_ = std::move(participants);
  for (std::size_t i = 0; i < r->participants_.size(); ++i) {
    r->participants_[i].role_bit = RoleBit(r->participants_[i].role);
    const Participant& p = r->participants_[i];
    if (!IsValidDipId(p.dip_id)) {
      return dip::Status::Config("participant \"" + p.dip_id +
                                 "\": dip_id must be 10 characters of digits or A-Z");
    }
    if (p.role.size() < 2 || p.role.size() > 5) {
      return dip::Status::Config("participant " + p.dip_id + ": role must be 2 to 5 characters");
    }
    if (!r->by_id_.emplace(p.dip_id, i).second) {
      return dip::Status::Config("participant " + p.dip_id + ": DIP ID listed twice");
    }
    if (!p.certificate_pem.empty()) r->by_certificate_.emplace(NormalisePem(p.certificate_pem), i);
    if (!p.api_key.empty() && !r->by_key_.emplace(p.api_key, i).second) {
      return dip::Status::Config("participant " + p.dip_id +
                                 ": api_key already belongs to another participant");
    }
  }
  return std::shared_ptr<const Registry>(std::move(r));
}

const Participant* Registry::Find(std::string_view dip_id) const {
  auto it = by_id_.find(dip_id);
  return it == by_id_.end() ? nullptr : &participants_[it->second];
}

const Participant* Registry::FindByApiKey(std::string_view api_key) const {
  if (api_key.empty()) return nullptr;
  auto it = by_key_.find(api_key);
  return it == by_key_.end() ? nullptr : &participants_[it->second];
}

const Participant* Registry::FindByCertificate(std::string_view pem) const {
  auto it = by_certificate_.find(NormalisePem(pem));
  return it == by_certificate_.end() ? nullptr : &participants_[it->second];
}

dip::Result<std::shared_ptr<const Registry>> Registry::With(Participant p) const {
  std::vector<Participant> next = participants_;
  bool replaced = false;
  for (Participant& existing : next) {
    if (existing.dip_id == p.dip_id) {
      existing = p;
      replaced = true;
    }
  }
  if (!replaced) next.push_back(std::move(p));
  return Build(std::move(next));
}

dip::Result<std::shared_ptr<const Registry>> Registry::Without(std::string_view dip_id) const {
  std::vector<Participant> next;
  next.reserve(participants_.size());
  for (const Participant& p : participants_) {
    if (p.dip_id != dip_id) next.push_back(p);
  }
  return Build(std::move(next));
}

}  // namespace diphub::routing
