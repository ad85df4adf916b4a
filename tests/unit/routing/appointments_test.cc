#include "routing/appointments.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace diphub::routing {
namespace {

constexpr std::uint64_t kMpan = 2000056535971;
constexpr PartyId kA = 1, kB = 2, kC = 3;

Day D(std::string_view date) {
  std::optional<Day> d = DayFromDate(date);
  EXPECT_TRUE(d.has_value()) << date;
  return d.value_or(0);
}

// A key per i, spread like real cores: distributor prefix 10..23, then 11 scattered digits.
std::uint64_t KeyFor(std::uint64_t i) {
  return (10 + i % 14) * 100'000'000'000ULL + (i * 7'919'000'003ULL) % 100'000'000'000ULL;
}

TEST(SlotTest, Names) {
  EXPECT_EQ(SlotName(Slot::kSupplier), "SUP");
  EXPECT_EQ(SlotName(Slot::kDataService), "DS");
  EXPECT_EQ(SlotName(Slot::kMeteringService), "MS");
  EXPECT_EQ(SlotName(Slot::kMdr), "MDR");
}

TEST(MpanKeyTest, RoundTrips) {
  for (const char* core :
       {"2000056535971", "0000000000000", "0000000000001", "9999999999999", "1012345678901"}) {
    std::optional<std::uint64_t> key = MpanKey(core);
    ASSERT_TRUE(key.has_value()) << core;
    EXPECT_EQ(MpanCore(*key), core);
  }
  EXPECT_EQ(MpanKey("2000056535971"), 2000056535971u);
  EXPECT_EQ(MpanCore(42), "0000000000042");
}

TEST(MpanKeyTest, RejectsAnythingButThirteenDigits) {
  for (const char* bad : {"", "200005653597", "20000565359711", "200005653597A", "2000O56535971",
                          " 200005653597", "2000056535971 ", "-200005653597", "2000056535.71"}) {
    EXPECT_EQ(MpanKey(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(DayFromDateTest, DatesAndTimestamps) {
  struct Case {
    const char* in;
    Day want;
  };
  const Case cases[] = {
      {"1970-01-01", 0},
      {"1970-01-02", 1},
      {"2000-02-29", 11016},
      {"2024-02-29", 19782},
      {"2026-11-23", 20780},
      {"2149-06-06", 65535},
      {"2026-11-23T00:00:00+00:00", 20780},
      // The date as written: the offset does not move it to the UTC day.
      {"2026-11-23T23:30:00-05:00", 20780},
      {"2026-11-23T00:30:00+01:00", 20780},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DayFromDate(c.in), std::optional<Day>(c.want)) << c.in;
  }
}

TEST(DayFromDateTest, RejectsInvalidAndOutOfRange) {
  for (const char* bad :
       {"2026-02-30", "2025-02-29", "2100-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
        "2026-11-00", "1969-12-31", "2149-06-07", "2150-01-01", "2026/11/23", "2026-1-23",
        "26-11-23", "", "2026-11-23T", "2026-11-23T25:00:00+00:00",  // not a real time
        "2026-11-23 00:00:00+00:00", "2026-11-23T00:00:00Z", "2026-11-2x"}) {
    EXPECT_EQ(DayFromDate(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(DayFromDateTest, DateFromDayRoundTrips) {
  for (const char* date : {"1970-01-01", "2000-02-29", "2026-11-23", "2026-12-31", "2149-06-06"}) {
    EXPECT_EQ(DateFromDay(D(date)), date);
  }
}

TEST(PartyTableTest, InternFindName) {
  PartyTable t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Find("1100000001"), 0u);
  EXPECT_EQ(t.Name(0), "");

  PartyId a = t.Intern("1100000001");
  PartyId b = t.Intern("1200000001");
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(t.Intern("1100000001"), a);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Find("1200000001"), b);
  EXPECT_EQ(t.Find("1300000001"), 0u);
  EXPECT_EQ(t.Name(a), "1100000001");
  EXPECT_EQ(t.Name(b), "1200000001");
  EXPECT_EQ(t.Name(3), "");
  EXPECT_EQ(t.Intern(""), 0u);
}

TEST(PartyTableTest, NamesSurviveGrowth) {
  PartyTable t;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(std::to_string(1000000000 + i));
  for (const std::string& id : ids) t.Intern(id);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(t.Name(static_cast<PartyId>(i + 1)), ids[i]);
    EXPECT_EQ(t.Find(ids[i]), i + 1);
  }
}

TEST(AppointmentMapTest, UnknownMpanIsNotFound) {
  AppointmentMap m;
  EXPECT_EQ(m.Find(kMpan), nullptr);
  EXPECT_EQ(m.size(), 0u);
  m.Apply(kMpan, Slot::kSupplier, kA, D("2026-01-01"));
  EXPECT_EQ(m.Find(kMpan + 1), nullptr);
  EXPECT_EQ(m.size(), 1u);
}

TEST(AppointmentMapTest, SlotsAreIndependent) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kSupplier, kA, D("2026-01-01"));
  m.Apply(kMpan, Slot::kMdr, kB, D("2026-01-01"));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->key, kMpan);
  Day day = D("2026-06-01");
  EXPECT_EQ(s->Holder(Slot::kSupplier, day), kA);
  EXPECT_EQ(s->Holder(Slot::kMdr, day), kB);
  EXPECT_EQ(s->Holder(Slot::kDataService, day), 0u);
  EXPECT_EQ(s->Holder(Slot::kMeteringService, day), 0u);
}

TEST(AppointmentMapTest, NobodyHoldsBeforeTheFirstAppointment) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kSupplier, kA, D("2026-03-01"));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2026-02-28")), 0u);
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2026-03-01")), kA);
}

TEST(AppointmentMapTest, FutureDatedAppointmentLeavesPreviousHoldingUntilItsDay) {
  AppointmentMap m;
  EXPECT_TRUE(m.Apply(kMpan, Slot::kSupplier, kA, D("2026-01-01")));
  EXPECT_TRUE(m.Apply(kMpan, Slot::kSupplier, kB, D("2026-12-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2026-11-30")), kA);
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2026-12-01")), kB);
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2027-06-01")), kB);
  EXPECT_EQ(s->Latest(Slot::kSupplier).party, kB);
  EXPECT_EQ(s->Latest(Slot::kSupplier).from, D("2026-12-01"));
  EXPECT_EQ(s->Previous(Slot::kSupplier).party, kA);
  EXPECT_EQ(s->Previous(Slot::kSupplier).from, D("2026-01-01"));
}

TEST(AppointmentMapTest, SameDayReplacesLatest) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kDataService, kA, D("2026-01-01"));
  m.Apply(kMpan, Slot::kDataService, kB, D("2026-05-01"));
  EXPECT_TRUE(m.Apply(kMpan, Slot::kDataService, kC, D("2026-05-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kDataService, D("2026-05-01")), kC);
  EXPECT_EQ(s->Previous(Slot::kDataService).party, kA);  // untouched
  EXPECT_FALSE(s->Holds(Slot::kDataService, kB));
}

TEST(AppointmentMapTest, BetweenPreviousAndLatestReplacesPrevious) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kMeteringService, kA, D("2026-01-01"));
  m.Apply(kMpan, Slot::kMeteringService, kB, D("2026-05-01"));
  EXPECT_TRUE(m.Apply(kMpan, Slot::kMeteringService, kC, D("2026-03-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kMeteringService, D("2026-02-01")), 0u);  // kA is forgotten
  EXPECT_EQ(s->Holder(Slot::kMeteringService, D("2026-04-01")), kC);
  EXPECT_EQ(s->Holder(Slot::kMeteringService, D("2026-05-01")), kB);
}

TEST(AppointmentMapTest, PreviousDayReplacesPrevious) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kMeteringService, kA, D("2026-01-01"));
  m.Apply(kMpan, Slot::kMeteringService, kB, D("2026-05-01"));
  EXPECT_TRUE(m.Apply(kMpan, Slot::kMeteringService, kC, D("2026-01-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kMeteringService, D("2026-02-01")), kC);
  EXPECT_FALSE(s->Holds(Slot::kMeteringService, kA));
}

TEST(AppointmentMapTest, OlderThanBothIsDropped) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kSupplier, kA, D("2026-03-01"));
  m.Apply(kMpan, Slot::kSupplier, kB, D("2026-05-01"));
  EXPECT_FALSE(m.Apply(kMpan, Slot::kSupplier, kC, D("2026-01-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Latest(Slot::kSupplier).party, kB);
  EXPECT_EQ(s->Previous(Slot::kSupplier).party, kA);
  EXPECT_FALSE(s->Holds(Slot::kSupplier, kC));
  EXPECT_EQ(s->Holder(Slot::kSupplier, D("2026-01-15")), 0u);
}

TEST(AppointmentMapTest, DeappointmentMakesSlotVacantFromItsDay) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kMdr, kA, D("2026-01-01"));
  EXPECT_TRUE(m.Apply(kMpan, Slot::kMdr, 0, D("2026-07-01")));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Holder(Slot::kMdr, D("2026-06-30")), kA);
  EXPECT_EQ(s->Holder(Slot::kMdr, D("2026-07-01")), 0u);
  EXPECT_EQ(s->Holder(Slot::kMdr, D("2030-01-01")), 0u);
  EXPECT_TRUE(s->Holds(Slot::kMdr, kA));  // still the previous appointment
}

TEST(AppointmentMapTest, HoldsLatestAndPreviousOnly) {
  AppointmentMap m;
  m.Apply(kMpan, Slot::kSupplier, kA, D("2026-01-01"));
  m.Apply(kMpan, Slot::kSupplier, kB, D("2026-12-01"));
  const MpanState* s = m.Find(kMpan);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->Holds(Slot::kSupplier, kA));
  EXPECT_TRUE(s->Holds(Slot::kSupplier, kB));
  EXPECT_FALSE(s->Holds(Slot::kSupplier, kC));
  EXPECT_FALSE(s->Holds(Slot::kSupplier, 0));  // vacancy is nobody, not a holder
  EXPECT_FALSE(s->Holds(Slot::kDataService, kA));

  m.Apply(kMpan, Slot::kSupplier, kC, D("2027-01-01"));  // kA falls off
  s = m.Find(kMpan);
  EXPECT_FALSE(s->Holds(Slot::kSupplier, kA));
  EXPECT_TRUE(s->Holds(Slot::kSupplier, kB));
  EXPECT_TRUE(s->Holds(Slot::kSupplier, kC));
}

TEST(AppointmentMapTest, GrowsPastSeveralResizes) {
  constexpr std::uint64_t kN = 1'000'000;
  AppointmentMap m;
  std::size_t first_bytes = 0;
  for (std::uint64_t i = 0; i < kN; ++i) {
    m.Apply(KeyFor(i), static_cast<Slot>(i % kSlotCount), static_cast<PartyId>(i % 50 + 1),
            static_cast<Day>(i % 20000));
    if (i == 0) first_bytes = m.MemoryBytes();
  }
  ASSERT_EQ(m.size(), kN);
  EXPECT_GT(m.MemoryBytes(), first_bytes);
  // 56 bytes of state plus 5.3..8 bytes of index per MPAN, and at most one part-filled chunk of
  // states (14 MiB) and a part-filled huge page of index.
  EXPECT_LE(m.MemoryBytes(), kN * 64 + (16u << 20));
  for (std::uint64_t i = 0; i < kN; ++i) {
    const MpanState* s = m.Find(KeyFor(i));
    ASSERT_NE(s, nullptr) << i;
    ASSERT_EQ(s->key, KeyFor(i));
    const auto slot = static_cast<Slot>(i % kSlotCount);
    ASSERT_EQ(s->Latest(slot).party, i % 50 + 1) << i;
  }
  // Prefix 24 is no distributor's: none of these were added.
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    ASSERT_EQ(m.Find(24 * 100'000'000'000ULL + i * 9'999'991ULL), nullptr) << i;
  }
}

TEST(AppointmentMapTest, ReserveKeepsEverythingAndSizesTheIndexOnce) {
  AppointmentMap m;
  for (std::uint64_t i = 0; i < 1000; ++i) m.Apply(KeyFor(i), Slot::kSupplier, kA, 1);
  m.Reserve(50'000);
  const std::size_t bytes = m.MemoryBytes();
  for (std::uint64_t i = 1000; i < 50'000; ++i) m.Apply(KeyFor(i), Slot::kSupplier, kB, 1);
  EXPECT_EQ(m.size(), 50'000u);
  // The index was not rebuilt, and these states fit the first chunk of states.
  EXPECT_EQ(m.MemoryBytes(), bytes);
  for (std::uint64_t i = 0; i < 50'000; ++i) {
    const MpanState* s = m.Find(KeyFor(i));
    ASSERT_NE(s, nullptr) << i;
    ASSERT_EQ(s->Latest(Slot::kSupplier).party, i < 1000 ? kA : kB) << i;
  }
}

TEST(AppointmentMapTest, ForEachVisitsEachOnce) {
  constexpr std::uint64_t kN = 200'000;
  AppointmentMap m;
  for (std::uint64_t i = 0; i < kN; ++i) {
    m.Apply(KeyFor(i), Slot::kSupplier, kA, 1);
    m.Apply(KeyFor(i), Slot::kMdr, kB, 2);  // a second slot does not add a state
  }
  std::unordered_map<std::uint64_t, int> seen;
  m.ForEach([&seen](const MpanState& s) { ++seen[s.key]; });
  ASSERT_EQ(seen.size(), kN);
  for (std::uint64_t i = 0; i < kN; ++i) {
    ASSERT_EQ(seen[KeyFor(i)], 1) << i;
  }
}

}  // namespace
}  // namespace diphub::routing
