#include "routing/publications.h"

#include <array>

namespace diphub::routing {
namespace {

constexpr std::array<std::string_view, 15> kRoles = {"SUP",   "REGS", "LDSO", "SDS",  "ADS",
                                                     "UMSDS", "MSS",  "MSA",  "UMSO", "MDR",
                                                     "MDS",   "LSS",  "EES",  "ECS",  "ISD"};

struct Row {
  std::string_view interface_id;
  std::string_view receivers;
  bool by_mpan, mdr_opt_in, paired;
};

// Receiver roles per interface, from the MHHS interface catalogue (the DIP spec has them only in
// its descriptions). "DS" = SDS ADS UMSDS, "MS" = MSS MSA UMSO. Interfaces sent to one central
// service (REGS, MDS, ...) list it as receiver and are addressed by the sender (primary).
constexpr Row kRows[] = {
    {"IF-001", "SUP DS MS LDSO", true, false, false},
    {"IF-002", "SUP", true, false, false},
    {"IF-003", "SUP DS MS", true, false, false},
    {"IF-004", "SUP DS", true, false, false},
    {"IF-005", "REGS", false, false, false},
    {"IF-006", "SUP DS LDSO MDR", true, true, false},
    {"IF-007", "REGS", false, false, false},
    {"IF-008", "SUP DS MS LDSO MDR", true, true, false},
    {"IF-009", "SUP DS MS LDSO", true, false, false},
    {"IF-013", "SUP DS", true, false, false},
    {"IF-014", "SUP DS", true, false, false},
    {"IF-018", "SUP DS MS LDSO", true, false, false},
    {"IF-019", "REGS", false, false, false},
    {"IF-020", "SUP", true, false, false},
    {"IF-024", "DS MDR", true, true, false},
    {"IF-025", "DS MS", true, false, false},
    {"IF-026", "DS MDR", true, true, false},
    {"IF-027", "DS", true, false, false},
    {"IF-028", "SUP", true, false, false},
    {"IF-031", "REGS", false, false, false},
    {"IF-032", "SUP", true, false, false},
    {"IF-033", "DS MS", false, false, false},
    {"IF-034", "REGS", false, false, false},
    {"IF-035", "SUP DS MS MDR", true, false, false},
    {"IF-036", "SUP DS MS LDSO MDR", true, false, false},
    {"IF-037", "SUP DS MS", true, false, false},
    {"IF-043", "SUP DS MS", true, false, false},
    {"IF-044", "SUP DS MS", true, false, false},
    {"IF-045", "SUP DS", true, false, false},
    {"IF-061", "MDR", false, false, true},
    {"IF-062", "SDS", false, false, true},
    {"IF-063", "MDR", false, false, true},
    {"IF-064", "SDS", false, false, true},
    {"IF-065", "SDS MDR", false, false, true},
};

constexpr RoleSet Bit(std::size_t i) { return RoleSet{1} << i; }

}  // namespace

RoleSet RoleBit(std::string_view role) {
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (kRoles[i] == role) return Bit(i);
  }
  return 0;
}

dip::Result<RoleSet> ParseRoles(std::string_view text) {
  RoleSet out = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == ',') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != ',') ++j;
    std::string_view code = text.substr(i, j - i);
    i = j;
    if (code == "DS") {
      out |= RoleBit("SDS") | RoleBit("ADS") | RoleBit("UMSDS");
    } else if (code == "MS") {
      out |= RoleBit("MSS") | RoleBit("MSA") | RoleBit("UMSO");
    } else if (RoleSet b = RoleBit(code); b != 0) {
      out |= b;
    } else {
      std::string known;
      for (std::string_view r : kRoles) known += (known.empty() ? "" : " ") + std::string(r);
      return dip::Status::Config("unknown role \"" + std::string(code) + "\" (known: " + known +
                                 ", and the groups DS and MS)");
    }
  }
  return out;
}

std::string RolesToString(RoleSet roles) {
  std::string out;
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if ((roles & Bit(i)) != 0) out += (out.empty() ? "" : ", ") + std::string(kRoles[i]);
  }
  return out.empty() ? "-" : out;
}

PublicationRule BuiltInRule(std::string_view interface_id) {
  // The rows' role lists parsed once; the look-up is on every routed message.
  static const std::array<PublicationRule, std::size(kRows)> kRules = [] {
    std::array<PublicationRule, std::size(kRows)> rules;
    for (std::size_t i = 0; i < std::size(kRows); ++i) {
      rules[i].receivers = ParseRoles(kRows[i].receivers).value();
      rules[i].by_mpan = kRows[i].by_mpan;
      rules[i].mdr_opt_in = kRows[i].mdr_opt_in;
      rules[i].paired = kRows[i].paired;
    }
    return rules;
  }();
  for (std::size_t i = 0; i < std::size(kRows); ++i) {
    if (kRows[i].interface_id == interface_id) return kRules[i];
  }
  return {};
}

}  // namespace diphub::routing
