#include "broker/appointment_import.h"

#include <array>

#include "routing/appointments.h"
#include "routing/registry.h"

namespace diphub::broker {
namespace {

std::optional<routing::Slot> SlotFromRole(std::string_view role) {
  if (role == "SUP") return routing::Slot::kSupplier;
  if (role == "DS" || role == "SDS" || role == "ADS" || role == "UMSDS") {
    return routing::Slot::kDataService;
  }
  if (role == "MS" || role == "MSS" || role == "MSA" || role == "UMSO") {
    return routing::Slot::kMeteringService;
  }
  if (role == "MDR") return routing::Slot::kMdr;
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

dip::Result<std::vector<storage::AppointmentRow>> ParseAppointmentsCsv(std::string_view text) {
  std::vector<storage::AppointmentRow> rows;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line_no == 1 && line.starts_with("MPANCore")) continue;
    const std::string where = "line " + std::to_string(line_no);
    std::array<std::string_view, 4> f;
    std::size_t n = 0;
    for (std::string_view rest = line;; ++n) {
      const std::size_t comma = rest.find(',');
      if (n < f.size()) f[n] = Trim(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (n != 3) {
      return dip::Status::Config(where +
                                 ": expected 4 fields (MPANCore,role,DIPID,"
                                 "effectiveFromDate), got " +
                                 std::to_string(n + 1));
    }
    storage::AppointmentRow row;
    std::optional<std::uint64_t> mpan = routing::MpanKey(f[0]);
    if (!mpan) {
      return dip::Status::Config(where + ", MPANCore: \"" + std::string(f[0]) +
                                 "\" is not 13 digits");
    }
    std::optional<routing::Slot> slot = SlotFromRole(f[1]);
    if (!slot) {
      return dip::Status::Config(where + ", role: \"" + std::string(f[1]) +
                                 "\" is not SUP, DS, MS or MDR (or SDS, ADS, UMSDS, MSS, MSA, "
                                 "UMSO)");
    }
    if (!f[2].empty() && !routing::IsValidDipId(f[2])) {
      return dip::Status::Config(where + ", DIPID: \"" + std::string(f[2]) +
                                 "\" is not 10 characters of digits or A-Z (empty = vacant)");
    }
    std::optional<routing::Day> day = routing::DayFromDate(f[3]);
    if (!day) {
      return dip::Status::Config(where + ", effectiveFromDate: \"" + std::string(f[3]) +
                                 "\" is not a date (YYYY-MM-DD) from 1970 to 2149");
    }
    row.mpan = *mpan;
    row.slot = static_cast<std::uint8_t>(*slot);
    row.party = std::string(f[2]);
    row.from_day = *day;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace diphub::broker
