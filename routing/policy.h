// The routing policy: the settings routing applies on top of the registry and the appointment
// map — always recipients per interface, registered SDS–MDR pairings, MDR opt-ins, and overrides
// of the publication table. An immutable snapshot; a change makes the next one, and shards are
// handed the new snapshot by message.
// Thread-safety: immutable; safe from any thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routing/publications.h"

namespace diphub::routing {

// Orders (a, b) pairs of strings and string views alike, for look-ups without a copy.
struct PairLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& x, const B& y) const {
    const int c = std::string_view(x.first).compare(std::string_view(y.first));
    return c < 0 || (c == 0 && std::string_view(x.second) < std::string_view(y.second));
  }
};
using IdPairs = std::set<std::pair<std::string, std::string>, PairLess>;

struct Policy {
  // Interface ("IF-047") -> DIP IDs that receive every accepted message of it (never roles).
  std::map<std::string, std::vector<std::string>, std::less<>> always;
  // Registered BP017 pairings: (SDS DIP ID, MDR DIP ID).
  IdPairs pairings;
  // MDR opt-ins: (MDR DIP ID, publication ID "PUB-006"). Absent = opted out (the default).
  IdPairs opt_in;
  // Rows that replace the built-in table, by interface ID.
  std::map<std::string, PublicationRule, std::less<>> overrides;
  // routing.appoint_unknown_mpans, for test hubs: a message routed by MPAN whose MPAN the hub
  // knows no appointments of appoints it on first sight (the sender and the primary recipients,
  // each in the slot its registered role holds) instead of being refused with MSG1037.
  // Default: false
  bool appoint_unknown_mpans = false;

  PublicationRule RuleFor(std::string_view interface_id) const;
  bool Paired(std::string_view sds, std::string_view mdr) const;
  bool OptedIn(std::string_view mdr, std::string_view publication_id) const;
};

}  // namespace diphub::routing
