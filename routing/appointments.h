// MPAN appointments in memory: for each MPAN, who holds each of its four appointment slots
// (supplier, data service, metering service, MDR), kept as the latest and the previous
// appointment per slot so a future-dated change does not hide the party holding the slot today.
//
// Sized for ~30 million MPANs in one shard: 56 bytes of state per MPAN in fixed-size chunks plus
// a 4-byte-slot open-addressing index, about 64 resident bytes per MPAN in all. The map is owned
// by one shard thread and has no locks; other shards ask the owner by message.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace diphub::routing {

// An MPAN's appointment slots, in the order of MpanState's arrays.
enum class Slot : std::uint8_t { kSupplier = 0, kDataService = 1, kMeteringService = 2, kMdr = 3 };
inline constexpr std::size_t kSlotCount = 4;

// "SUP", "DS", "MS", "MDR".
std::string_view SlotName(Slot s);

using Day = std::uint16_t;      // days since 1970-01-01 (UTC); the last is 2149-06-06
using PartyId = std::uint32_t;  // index into a PartyTable; 0 = nobody (vacant)

// "2000056535971" -> 2000056535971; nullopt unless exactly 13 ASCII digits.
std::optional<std::uint64_t> MpanKey(std::string_view core);
// The 13-digit core of a key, zero-padded. REQUIRES: key < 10^13 (any MpanKey result).
std::string MpanCore(std::uint64_t key);

// The calendar date of "2026-11-23" or of a DT-003 timestamp "2026-11-23T00:00:00+00:00" (its
// first 10 characters; the offset is not applied, the date is the one the sender wrote) as a Day.
// nullopt unless a real date (or a valid DT-003 timestamp) from 1970-01-01 to 2149-06-06.
std::optional<Day> DayFromDate(std::string_view s);
// "2026-11-23".
std::string DateFromDay(Day d);
// The UTC calendar day of `t` (the routing day of a message the hub accepts at `t`).
inline Day DayOf(std::chrono::system_clock::time_point t) {
  return static_cast<Day>(std::chrono::floor<std::chrono::days>(t).time_since_epoch().count());
}

// Interns DIP IDs to small integers (1-based; 0 = nobody) so that MpanState stays 56 bytes.
// Only on the owning shard: not thread-safe.
class PartyTable {
 public:
  // The ID of `dip_id`, added when new. "" is nobody (0).
  PartyId Intern(std::string_view dip_id);
  // 0 when unknown.
  PartyId Find(std::string_view dip_id) const;
  // "" for 0 or an ID this table did not hand out.
  std::string_view Name(PartyId id) const;
  std::size_t size() const { return names_.size(); }

 private:
  // Transparent hashing, so Find(string_view) does not build a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, PartyId, Hash, std::equal_to<>> ids_;
  std::vector<const std::string*> names_;  // [id - 1] -> key in ids_ (node keys never move)
};

struct Appointment {
  PartyId party = 0;
  Day from = 0;
};

// One MPAN's appointments: per slot, the latest and the previous appointment (by effective-from
// day). An unset entry is {nobody, 1970-01-01}, which reads the same as a vacancy.
struct MpanState {
  std::uint64_t key = 0;
  PartyId party[kSlotCount][2] = {};  // [slot][0] latest, [slot][1] previous
  Day from[kSlotCount][2] = {};

  // The party holding `slot` on `day`: the latest if it is effective by then, else the previous
  // if that is, else nobody (0).
  PartyId Holder(Slot slot, Day day) const {
    const auto s = static_cast<std::size_t>(slot);
    if (from[s][0] <= day) return party[s][0];
    if (from[s][1] <= day) return party[s][1];
    return 0;
  }
  // True when `p` (non-zero) is the latest or the previous appointment of `slot`, whatever the
  // day: a party that is handing over or taking over the slot still gets its messages.
  bool Holds(Slot slot, PartyId p) const {
    const auto s = static_cast<std::size_t>(slot);
    return p != 0 && (party[s][0] == p || party[s][1] == p);
  }
  Appointment Latest(Slot slot) const {
    const auto s = static_cast<std::size_t>(slot);
    return {party[s][0], from[s][0]};
  }
  Appointment Previous(Slot slot) const {
    const auto s = static_cast<std::size_t>(slot);
    return {party[s][1], from[s][1]};
  }
};
static_assert(sizeof(MpanState) == 56, "MpanState is the bulk of the resident bytes per MPAN");

// The map MPAN key -> MpanState. States live densely in fixed-size chunks that never move (so
// growth copies no state and resident memory tracks use); an open-addressing index of uint32
// slots (dense index + 1, and 6 bits of the key's hash so that probes rarely read a state that
// is not the one sought) finds them. At most 67,108,862 MPANs per map (one map per shard).
// Only on the owning shard: not thread-safe. Pointers from Find stay valid for the map's life.
class AppointmentMap {
 public:
  // Records that `party` (0 = nobody: a de-appointment) holds `slot` of `mpan` from `from`,
  // creating the MPAN if new. Keeps the two latest appointments per slot: one on the latest's day
  // replaces it; one after the latest pushes it to previous; one from the previous's day up to
  // the latest's replaces previous; one older than both is not kept (returns false).
  // Throws only std::bad_alloc.
  bool Apply(std::uint64_t mpan, Slot slot, PartyId party, Day from);

  // nullptr when unknown.
  const MpanState* Find(std::uint64_t mpan) const;
  // Hints for routing a batch: Prefetch every key's index slot, then PrefetchState every key
  // (reads the slot, fetches the state it names), then Find each; the memory reads of the batch
  // overlap instead of following one another.
  void Prefetch(std::uint64_t mpan) const;
  void PrefetchState(std::uint64_t mpan) const;
  std::size_t size() const { return size_; }
  // Bytes allocated by the map (index + state chunks), for metrics and the benchmark.
  std::size_t MemoryBytes() const;
  // Sizes the index for `mpans` so that loading that many does not rebuild it. State chunks are
  // still allocated as they fill.
  void Reserve(std::size_t mpans);
  // Every state, in no particular order.
  void ForEach(const std::function<void(const MpanState&)>& fn) const;

 private:
  // 2^18 states of 56 bytes are exactly 7 huge pages (14 MiB), so no huge page is half used.
  static constexpr std::size_t kChunkShift = 18;
  static constexpr std::size_t kChunkStates = std::size_t{1} << kChunkShift;

  // Returns what AllocatePages (appointments.cc) mapped.
  struct PagesDeleter {
    PagesDeleter() : bytes(0) {}  // a constructor, not `= 0`: usable inside this class (CWG 1397)
    explicit PagesDeleter(std::size_t b) : bytes(b) {}
    void operator()(void* p) const;
    std::size_t bytes;
  };
  template <class T>
  using Pages = std::unique_ptr<T[], PagesDeleter>;

  MpanState& State(std::uint32_t dense) const {
    return chunks_[dense >> kChunkShift][dense & (kChunkStates - 1)];
  }
  // The state of `mpan`, appended (and indexed) when new.
  MpanState& FindOrAdd(std::uint64_t mpan);
  // Replaces the index by one of `capacity` slots, re-inserting every state.
  void Rebuild(std::size_t capacity);

  std::vector<Pages<MpanState>> chunks_;  // states [i << kChunkShift, (i + 1) << kChunkShift)
  Pages<std::uint32_t> index_;            // 0 = empty, else dense index + 1
  std::size_t capacity_ = 0;              // slots in index_
  std::size_t grow_at_ = 0;               // size_ that triggers a rebuild (75% load)
  std::size_t size_ = 0;
};

}  // namespace diphub::routing
