#include "routing/publications.h"

#include <array>

namespace diphub::routing {
namespace {

constexpr std::array<std::string_view, 15> kRoles = {"SUP",   "REGS", "LDSO", "SDS",  "ADS",
                                                     "UMSDS", "MSS",  "MSA",  "UMSO", "MDR",
                                                     "MDS",   "LSS",  "EES",  "ECS",  "ISD"};

struct Row {
  std::string_view interface_id;
  std::string_view senders;
  std::string_view receivers;
  bool by_mpan, mdr_opt_in, paired;
};

// Sender and receiver roles per interface. The DIP spec (v2.1.0) states neither in structured
// form: the sender roles here are read from the interface names, as the spec's descriptions
// ("IF-031 Supplier Service Provider Appointment Request", "IF-043 Registration Service
// Notification of Change in Connection Type") and the MHHS design artefact list
// (../shared/seeds, "IF005-Metering Service MTD Updates to Registration", "IF034-Service
// Provider Response to Appointment Request") give them; where the spec's description is a copy
// of another interface's (IF-006 is described as "Metering Service MTD Update to Registration",
// IF-025/026 as "Supplier Advisory Notification to Data Service"), the MHHS name wins. The
// receiver roles come from the MHHS interface catalogue. "DS" = SDS ADS UMSDS, "MS" = MSS MSA
// UMSO. Interfaces sent to one central service (REGS, MDS, ...) list it as receiver and are
// addressed by the sender (primary). A row with no receivers routes to the primary recipients
// the sender names, in any role. docs/routing.md prints this table.
constexpr Row kRows[] = {
    {"IF-001", "REGS", "SUP DS MS LDSO", true, false, false},
    {"IF-002", "REGS", "SUP", true, false, false},
    {"IF-003", "REGS", "SUP DS MS", true, false, false},
    {"IF-004", "REGS", "SUP DS", true, false, false},
    {"IF-005", "MS", "REGS", false, false, false},
    {"IF-006", "REGS", "SUP DS LDSO MDR", true, true, false},
    {"IF-007", "MS", "REGS", false, false, false},
    {"IF-008", "REGS", "SUP DS MS LDSO MDR", true, true, false},
    {"IF-009", "REGS", "SUP DS MS LDSO", true, false, false},
    {"IF-013", "MDS", "SUP DS", true, false, false},
    {"IF-014", "MDS", "SUP DS", true, false, false},
    {"IF-015", "DS", "", false, false, false},
    {"IF-016", "MDS", "", false, false, false},
    {"IF-018", "REGS", "SUP DS MS LDSO", true, false, false},
    {"IF-019", "SUP LDSO", "REGS", false, false, false},
    {"IF-020", "REGS", "SUP", true, false, false},
    {"IF-021", "DS", "", false, false, false},
    {"IF-022", "LSS", "", false, false, false},
    {"IF-023", "LSS", "", false, false, false},
    {"IF-024", "SUP", "DS MDR", true, true, false},
    {"IF-025", "SUP", "DS MS", true, false, false},
    {"IF-026", "REGS", "DS MDR", true, true, false},
    {"IF-027", "SUP", "DS", true, false, false},
    {"IF-028", "DS", "SUP", true, false, false},
    {"IF-031", "SUP", "REGS", false, false, false},
    {"IF-032", "REGS", "SUP", true, false, false},
    {"IF-033", "REGS", "DS MS", false, false, false},
    {"IF-034", "DS MS", "REGS", false, false, false},
    {"IF-035", "REGS", "SUP DS MS MDR", true, false, false},
    {"IF-036", "REGS", "SUP DS MS LDSO MDR", true, false, false},
    {"IF-037", "REGS", "SUP DS MS", true, false, false},
    {"IF-038", "DS MS", "", false, false, false},
    {"IF-039", "SUP", "", false, false, false},
    {"IF-040", "MDS ECS", "", false, false, false},
    {"IF-041", "SUP DS MS", "", false, false, false},
    {"IF-043", "REGS", "SUP DS MS", true, false, false},
    {"IF-044", "REGS", "SUP DS MS", true, false, false},
    {"IF-045", "REGS", "SUP DS", true, false, false},
    {"IF-047", "ISD", "", false, false, false},
    {"IF-050", "EES", "", false, false, false},
    {"IF-051", "EES", "", false, false, false},
    {"IF-061", "SDS", "MDR", false, false, true},
    {"IF-062", "MDR", "SDS", false, false, true},
    {"IF-063", "SDS", "MDR", false, false, true},
    {"IF-064", "MDR", "SDS", false, false, true},
    {"IF-065", "SDS MDR", "SDS MDR", false, false, true},
    // The ECS reports: produced by Elexon Central Services (REP-008 by its MDS).
    {"REP-002", "ECS", "", false, false, false},
    {"REP-002A", "ECS", "", false, false, false},
    {"REP-002B", "ECS", "", false, false, false},
    {"REP-003", "ECS", "", false, false, false},
    {"REP-003A", "ECS", "", false, false, false},
    {"REP-004", "ECS", "", false, false, false},
    {"REP-006", "ECS", "", false, false, false},
    {"REP-007", "ECS", "", false, false, false},
    {"REP-008", "MDS", "", false, false, false},
    {"REP-009", "ECS", "", false, false, false},
    {"REP-900", "ECS", "", false, false, false},
    {"REP-901", "ECS", "", false, false, false},
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
      rules[i].senders = ParseRoles(kRows[i].senders).value();
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
