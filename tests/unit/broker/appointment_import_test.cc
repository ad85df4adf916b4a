#include "broker/appointment_import.h"

#include <gtest/gtest.h>

#include "routing/appointments.h"

namespace diphub::broker {
namespace {

TEST(AppointmentImportTest, ReadsRowsRolesAndVacancies) {
  auto rows = ParseAppointmentsCsv(
      "MPANCore,role,DIPID,effectiveFromDate\r\n"
      "# a comment\n"
      "\n"
      "2000000000001, SUP ,1300000001,2026-01-01\n"
      "2000000000001,SDS,1100000001,2026-01-01\n"
      "2000000000001,MSA,1500000001,2026-01-01\n"
      "2000000000001,MDR,,2026-06-01");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows.value().size(), 4u);
  EXPECT_EQ(rows.value()[0].mpan, 2000000000001u);
  EXPECT_EQ(rows.value()[0].slot, static_cast<std::uint8_t>(routing::Slot::kSupplier));
  EXPECT_EQ(rows.value()[1].slot, static_cast<std::uint8_t>(routing::Slot::kDataService));
  EXPECT_EQ(rows.value()[2].slot, static_cast<std::uint8_t>(routing::Slot::kMeteringService));
  EXPECT_EQ(rows.value()[3].party, "");
  EXPECT_EQ(rows.value()[3].from_day, *routing::DayFromDate("2026-06-01"));
}

TEST(AppointmentImportTest, ErrorsNameTheLineAndField) {
  struct Case {
    const char* csv;
    const char* expected;
  } cases[] = {
      {"2000000000001,SUP,1300000001", "line 1: expected 4 fields"},
      {"MPANCore,role,DIPID,effectiveFromDate\n200000000001,SUP,1300000001,2026-01-01",
       "line 2, MPANCore"},
      {"2000000000001,LDSO,1300000001,2026-01-01", "line 1, role: \"LDSO\""},
      {"2000000000001,SUP,13,2026-01-01", "line 1, DIPID"},
      {"2000000000001,SUP,1300000001,2026-13-01", "line 1, effectiveFromDate"},
  };
  for (const Case& c : cases) {
    auto rows = ParseAppointmentsCsv(c.csv);
    ASSERT_FALSE(rows.ok()) << c.csv;
    EXPECT_NE(rows.status().help().find(c.expected), std::string::npos) << rows.status().help();
  }
}

}  // namespace
}  // namespace diphub::broker
