#include "routing/appointments.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <new>

#include "dip/dip_time.h"

namespace diphub::routing {
namespace {

// splitmix64's finaliser: MPAN cores are dense decimal ranges, so the index needs every key bit
// to reach the high bits that pick the slot.
std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A hash's home slot in [0, capacity): the high half of hash * capacity ("fastrange"), so the
// capacity need not be a power of two and growth can be 1.5x.
std::size_t Home(std::uint64_t hash, std::size_t capacity) {
  __extension__ using Wide = unsigned __int128;
  return static_cast<std::size_t>((static_cast<Wide>(hash) * capacity) >> 64);
}

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

std::size_t RoundUp(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// Anonymous pages (zero-filled by the kernel, given back to it on free) of at least `*bytes`,
// which it rounds up to what was mapped. At 30M MPANs the map spans ~2 GB, and with 4 KiB pages
// a random lookup spends much of its time walking page tables, so allocations of 2 MiB or more
// are 2 MiB-aligned and marked for transparent huge pages (routing_bench: lookups and loading
// ~1.5-1.8x faster where THP is "madvise"). Throws std::bad_alloc.
void* AllocatePages(std::size_t* bytes) {
  const bool huge = *bytes >= kHugePage;
  *bytes = RoundUp(*bytes, huge ? kHugePage : kPage);
  const std::size_t slop = huge ? kHugePage : 0;  // room to align the start
  void* mapped =
      mmap(nullptr, *bytes + slop, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  if (!huge) return mapped;
  auto* start = static_cast<char*>(mapped);
  const std::size_t head = RoundUp(reinterpret_cast<std::uintptr_t>(start), kHugePage) -
                           reinterpret_cast<std::uintptr_t>(start);
  if (head != 0) munmap(start, head);
  if (slop != head) munmap(start + head + *bytes, slop - head);
#ifdef MADV_HUGEPAGE
  madvise(start + head, *bytes, MADV_HUGEPAGE);  // advice only: without THP, 4 KiB pages
#endif
  return start + head;
}

// Index slots hold dense index + 1 in 32 bits.
// An index slot holds a state's position + 1 in its low kPosBits bits and kTagBits bits of the
// key's hash above them, so a probe reads a state only when the tags match (1 in 64 for another
// key): a hit costs the index line and one state, a miss usually the index line alone.
constexpr unsigned kPosBits = 26;
constexpr std::uint32_t kPosMask = (std::uint32_t{1} << kPosBits) - 1;
constexpr std::size_t kMaxStates = kPosMask - 1;  // 67,108,862 MPANs per map (per shard)
// The tag comes from the hash's low bits; Home() is decided by its high bits.
std::uint32_t Tag(std::uint64_t hash) { return static_cast<std::uint32_t>(hash & 63) << kPosBits; }
constexpr std::size_t kMinCapacity = 16;

// The value of `n` digits of `s` from `pos`, or -1 if any is not a digit.
int Digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string_view SlotName(Slot s) {
  switch (s) {
    case Slot::kSupplier:
      return "SUP";
    case Slot::kDataService:
      return "DS";
    case Slot::kMeteringService:
      return "MS";
    case Slot::kMdr:
      return "MDR";
  }
  return "?";
}

std::optional<std::uint64_t> MpanKey(std::string_view core) {
  if (core.size() != 13) return std::nullopt;
  std::uint64_t key = 0;
  for (char c : core) {
    if (c < '0' || c > '9') return std::nullopt;
    key = key * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return key;
}

std::string MpanCore(std::uint64_t key) {
  std::string out(13, '0');
  for (std::size_t i = 13; i-- > 0 && key != 0; key /= 10) {
    out[i] = static_cast<char>('0' + key % 10);
  }
  return out;
}

std::optional<Day> DayFromDate(std::string_view s) {
  // A timestamp must be a whole valid DT-003 one, not any text after a date.
  if (s.size() != 10 && !(s.size() == 25 && dip::IsDipTimestamp(s))) return std::nullopt;
  if (s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = Digits(s, 0, 4), m = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  if (days < 0 || days > 0xFFFF) return std::nullopt;
  return static_cast<Day>(days);
}

std::string DateFromDay(Day d) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d}}};
  std::string out = "0000-00-00";
  const auto put = [&out](std::size_t pos, std::size_t n, unsigned v) {
    for (std::size_t i = pos + n; i-- > pos; v /= 10) out[i] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, static_cast<unsigned>(static_cast<int>(ymd.year())));
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  return out;
}

PartyId PartyTable::Intern(std::string_view dip_id) {
  if (dip_id.empty()) return 0;
  if (auto it = ids_.find(dip_id); it != ids_.end()) return it->second;
  const auto id = static_cast<PartyId>(names_.size() + 1);
  names_.reserve(names_.size() + 1);  // so that push_back cannot throw after the emplace
  names_.push_back(&ids_.emplace(std::string(dip_id), id).first->first);
  return id;
}

PartyId PartyTable::Find(std::string_view dip_id) const {
  auto it = ids_.find(dip_id);
  return it == ids_.end() ? 0 : it->second;
}

std::string_view PartyTable::Name(PartyId id) const {
  if (id == 0 || id > names_.size()) return {};
  return *names_[id - 1];
}

bool AppointmentMap::Apply(std::uint64_t mpan, Slot slot, PartyId party, Day from) {
  MpanState& st = FindOrAdd(mpan);
  const auto s = static_cast<std::size_t>(slot);
  if (from > st.from[s][0]) {
    st.party[s][1] = st.party[s][0];
    st.from[s][1] = st.from[s][0];
    st.party[s][0] = party;
    st.from[s][0] = from;
  } else if (from == st.from[s][0]) {
    st.party[s][0] = party;
  } else if (from >= st.from[s][1]) {
    st.party[s][1] = party;
    st.from[s][1] = from;
  } else {
    return false;
  }
  return true;
}

const MpanState* AppointmentMap::Find(std::uint64_t mpan) const {
  if (capacity_ == 0) return nullptr;
  const std::uint64_t hash = Mix(mpan);
  const std::uint32_t tag = Tag(hash);
  for (std::size_t pos = Home(hash, capacity_);;) {
    const std::uint32_t v = index_[pos];
    if (v == 0) return nullptr;
    if ((v & ~kPosMask) == tag) {
      const MpanState& st = State((v & kPosMask) - 1);
      if (st.key == mpan) return &st;
    }
    if (++pos == capacity_) pos = 0;
  }
}

MpanState& AppointmentMap::FindOrAdd(std::uint64_t mpan) {
  if (const MpanState* found = Find(mpan)) return const_cast<MpanState&>(*found);
  if (size_ >= grow_at_) Rebuild(std::max(kMinCapacity, capacity_ + capacity_ / 2));
  if (size_ >= kMaxStates) throw std::bad_alloc();
  if ((size_ >> kChunkShift) == chunks_.size()) {
    chunks_.reserve(chunks_.size() + 1);  // so that push_back cannot throw and leak the chunk
    std::size_t bytes = kChunkStates * sizeof(MpanState);
    chunks_.emplace_back(static_cast<MpanState*>(AllocatePages(&bytes)), PagesDeleter{bytes});
  }
  const auto dense = static_cast<std::uint32_t>(size_);
  // A chunk's pages are untouched until their states are added, so resident memory tracks use.
  MpanState& st = *new (&State(dense)) MpanState{};
  st.key = mpan;
  const std::uint64_t hash = Mix(mpan);
  std::size_t pos = Home(hash, capacity_);
  while (index_[pos] != 0) {
    if (++pos == capacity_) pos = 0;
  }
  index_[pos] = Tag(hash) | (dense + 1);
  ++size_;
  return st;
}

void AppointmentMap::Rebuild(std::size_t capacity) {
  // Allocate first: on bad_alloc the map is unchanged. The pages come zeroed (all slots empty).
  std::size_t bytes = capacity * sizeof(std::uint32_t);
  Pages<std::uint32_t> index(static_cast<std::uint32_t*>(AllocatePages(&bytes)),
                             PagesDeleter{bytes});
  for (std::size_t i = 0; i < size_; ++i) {
    const std::uint64_t hash = Mix(State(static_cast<std::uint32_t>(i)).key);
    std::size_t pos = Home(hash, capacity);
    while (index[pos] != 0) {
      if (++pos == capacity) pos = 0;
    }
    index[pos] = Tag(hash) | static_cast<std::uint32_t>(i + 1);
  }
  index_ = std::move(index);
  capacity_ = capacity;
  grow_at_ = capacity - capacity / 4;
}

void AppointmentMap::Prefetch(std::uint64_t mpan) const {
  if (capacity_ != 0) __builtin_prefetch(&index_[Home(Mix(mpan), capacity_)]);
}

void AppointmentMap::PrefetchState(std::uint64_t mpan) const {
  if (capacity_ == 0) return;
  const std::uint64_t hash = Mix(mpan);
  const std::uint32_t v = index_[Home(hash, capacity_)];
  if (v != 0 && (v & ~kPosMask) == Tag(hash)) __builtin_prefetch(&State((v & kPosMask) - 1));
}

void AppointmentMap::Reserve(std::size_t mpans) {
  // Capacity so that `mpans` stays under the 75% load that triggers growth.
  const std::size_t capacity = std::max(kMinCapacity, mpans + mpans / 3 + 2);
  chunks_.reserve((mpans + kChunkStates - 1) >> kChunkShift);
  if (capacity > capacity_) Rebuild(capacity);
}

std::size_t AppointmentMap::MemoryBytes() const {
  static_assert(kChunkStates * sizeof(MpanState) % kHugePage == 0, "chunks are whole huge pages");
  return index_.get_deleter().bytes + chunks_.size() * kChunkStates * sizeof(MpanState) +
         chunks_.capacity() * sizeof(chunks_[0]);
}

void AppointmentMap::PagesDeleter::operator()(void* p) const { munmap(p, bytes); }

void AppointmentMap::ForEach(const std::function<void(const MpanState&)>& fn) const {
  for (std::size_t i = 0; i < size_; ++i) fn(State(static_cast<std::uint32_t>(i)));
}

}  // namespace diphub::routing
