// The MPAN appointment map at full size. Run:
//   build/bench/routing_bench                 (30 million MPANs; figures in the report)
//   build/bench/routing_bench --mpans=100000  (quick)
// Builds one map of N MPANs (each with SUP, DS, MS and MDR appointed), prints the load rate and
// the resident bytes per MPAN, then times lookups in it.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <vector>

#include "routing/appointments.h"

namespace {

using namespace diphub::routing;

constexpr std::size_t kDefaultMpans = 30'000'000;
constexpr std::size_t kLookupKeys = std::size_t{1} << 22;  // 32 MiB of keys: not cache-resident

std::size_t g_mpans = kDefaultMpans;
AppointmentMap* g_map = nullptr;
std::vector<std::uint64_t> g_existing;  // random keys in the map
std::vector<std::uint64_t> g_missing;   // random keys not in it
Day g_today = 0;

std::uint64_t SplitMix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The i-th MPAN core: a distributor prefix 10..23 and 11 random digits. A function of i, so the
// lookups can name loaded MPANs without keeping all N keys. A few may coincide (it is random).
std::uint64_t LoadedKey(std::uint64_t i) {
  const std::uint64_t h = SplitMix(i);
  return (10 + h % 14) * 100'000'000'000ULL + (h >> 8) % 100'000'000'000ULL;
}

// Prefixes 24..29 are no distributor's, so these keys are never loaded.
std::uint64_t MissingKey(std::uint64_t i) {
  const std::uint64_t h = SplitMix(i ^ 0x5555'5555'5555'5555ULL);
  return (24 + h % 6) * 100'000'000'000ULL + (h >> 8) % 100'000'000'000ULL;
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void Build() {
  g_today = DayFromDate("2026-11-23").value_or(0);
  const std::size_t before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  g_map = new AppointmentMap();  // never freed: shared by every benchmark
  for (std::uint64_t i = 0; i < g_mpans; ++i) {
    const std::uint64_t key = LoadedKey(i);
    const std::uint64_t h = SplitMix(key);
    // Four appointments from 2..50 parties, effective on some day in the last ten years.
    for (std::size_t s = 0; s < kSlotCount; ++s) {
      const auto party = static_cast<PartyId>(2 + (h >> (8 * s)) % 49);
      const auto from = static_cast<Day>(g_today - (h >> (8 * s + 32)) % 3650);
      g_map->Apply(key, static_cast<Slot>(s), party, from);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t after = ResidentBytes();
  const double n = static_cast<double>(g_map->size());
  std::printf("mpans loaded: %zu (%zu distinct)\n", g_mpans, g_map->size());
  std::printf("load time: %.2f s\n", seconds);
  std::printf("load rate: %.0f MPANs/s (4 appointments each)\n",
              static_cast<double>(g_mpans) / seconds);
  std::printf("resident bytes per MPAN: %.1f\n", static_cast<double>(after - before) / n);
  std::printf("MemoryBytes per MPAN: %.1f\n", static_cast<double>(g_map->MemoryBytes()) / n);
  std::fflush(stdout);

  g_existing.resize(kLookupKeys);
  g_missing.resize(kLookupKeys);
  for (std::size_t i = 0; i < kLookupKeys; ++i) {
    g_existing[i] = LoadedKey(SplitMix(i ^ 0xABCDEFULL) % g_mpans);
    g_missing[i] = MissingKey(i);
  }
}

// One routing lookup: find a random loaded MPAN and who holds each slot today.
void BM_FindHolder(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    const MpanState* s = g_map->Find(g_existing[i++ & (kLookupKeys - 1)]);
    PartyId holders = 0;
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      holders += s->Holder(static_cast<Slot>(slot), g_today);
    }
    benchmark::DoNotOptimize(holders);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindHolder);

// BM_FindHolder with each lookup waiting for the one before (its key's position depends on the
// previous result), as one message's routing decision would: latency, not throughput.
void BM_FindHolderLatency(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    const MpanState* s = g_map->Find(g_existing[i & (kLookupKeys - 1)]);
    PartyId holders = 0;
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      holders += s->Holder(static_cast<Slot>(slot), g_today);
    }
    i += 1 + (holders >> 31);  // always 1 (holders < 2^31), but the compiler cannot know
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindHolderLatency);

// A lookup of an MPAN the hub has never seen (an unknown-MPAN rejection).
void BM_FindMissing(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    const MpanState* s = g_map->Find(g_missing[i++ & (kLookupKeys - 1)]);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindMissing);

}  // namespace

int main(int argc, char** argv) {
  // Take --mpans=N out of argv; the rest is Google Benchmark's.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--mpans=")) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(argv[i] + 8, &end, 10);
      if (end == argv[i] + 8 || *end != '\0' || n == 0) {
        std::fprintf(stderr, "routing_bench: --mpans needs a positive number, got %s\n", argv[i]);
        return 2;
      }
      g_mpans = static_cast<std::size_t>(n);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argv[kept] = nullptr;
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Build();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
