// Appointment import for test set-ups: CSV rows "MPANCore,role,DIPID,effectiveFromDate".
//   role  SUP, DS, MS or MDR, or a role code (SDS ADS UMSDS -> DS; MSS MSA UMSO -> MS)
//   DIPID empty = the slot is vacant from that date (a de-appointment)
// A first line starting "MPANCore" is a header; blank lines and lines starting '#' are skipped.
#pragma once

#include <string_view>
#include <vector>

#include "dip/status.h"
#include "storage/records.h"

namespace diphub::broker {

// All rows, or a Config error naming the first bad line and field (nothing is half-imported).
dip::Result<std::vector<storage::AppointmentRow>> ParseAppointmentsCsv(std::string_view text);

}  // namespace diphub::broker
