#include "routing/policy.h"

namespace diphub::routing {

PublicationRule Policy::RuleFor(std::string_view interface_id) const {
  if (auto it = overrides.find(interface_id); it != overrides.end()) return it->second;
  return BuiltInRule(interface_id);
}

bool Policy::Paired(std::string_view sds, std::string_view mdr) const {
  return pairings.find(std::pair<std::string_view, std::string_view>(sds, mdr)) != pairings.end();
}

bool Policy::OptedIn(std::string_view mdr, std::string_view publication_id) const {
  return opt_in.find(std::pair<std::string_view, std::string_view>(mdr, publication_id)) !=
         opt_in.end();
}

}  // namespace diphub::routing
