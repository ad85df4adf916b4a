// The MPAN appointment map at full size, and the routing decision made against it. Run:
//   build/bench/routing_bench                 (30 million MPANs; figures in docs/performance.md)
//   build/bench/routing_bench --mpans=100000  (quick)
// Builds one map of N MPANs (each with SUP, DS, MS and MDR appointed from pools of registered
// parties), prints the load rate and the resident bytes per MPAN, then times lookups in it, whole
// routing decisions (routing::RouteMessage) against it, and routing through broker::RoutingShards
// with 1 and 2 shard threads (on a map of its own, kShardMpans, whatever --mpans says).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "broker/routing_shards.h"
#include "dip/envelope.h"
#include "routing/appointments.h"
#include "routing/policy.h"
#include "routing/registry.h"
#include "routing/router.h"
#include "storage/records.h"

namespace {

using namespace diphub::routing;
namespace broker = diphub::broker;
namespace dip = diphub::dip;
namespace storage = diphub::storage;

constexpr std::size_t kDefaultMpans = 30'000'000;
constexpr std::size_t kLookupKeys = std::size_t{1} << 22;  // 32 MiB of keys: not cache-resident
constexpr std::size_t kPartiesPerSlot = 49;
// The registered role of the parties appointed to each slot.
constexpr std::array<std::string_view, kSlotCount> kSlotRole = {"SUP", "SDS", "MSS", "MDR"};
constexpr std::string_view kRegs = "9000000001";  // sends IF-006
constexpr std::string_view kLdso = "9100000001";  // M0.distributorDIPID of every message
constexpr std::size_t kEnvelopePool = 4096;
constexpr std::size_t kWarmEnvelopes = 64;

using Core = std::array<char, 13>;  // an MPAN core's 13 digits, without a terminator

std::size_t g_mpans = kDefaultMpans;
AppointmentMap* g_map = nullptr;
PartyTable* g_parties = nullptr;        // the map's parties: valid DIP IDs, all registered
std::vector<std::uint64_t> g_existing;  // random keys in the map
std::vector<Core> g_existing_cores;     // the same keys as MPAN cores
std::vector<std::uint8_t> g_mdr_of;     // the MDR (pool index) holding each g_existing key
std::vector<std::uint64_t> g_missing;   // random keys not in it
Day g_today = 0;
std::string g_party_names[kSlotCount][kPartiesPerSlot];
PartyId g_party_ids[kSlotCount][kPartiesPerSlot];
std::shared_ptr<const Registry> g_registry;
std::shared_ptr<const Policy> g_policy;

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

Core CoreOf(std::uint64_t key) {
  const std::string s = MpanCore(key);
  Core c;
  s.copy(c.data(), c.size());
  return c;
}

// The i-th MPAN's appointments: per slot, a party of that slot's pool (an index below
// kPartiesPerSlot) effective from some day in the last ten years.
struct Appointed {
  std::uint64_t key = 0;
  std::size_t party[kSlotCount] = {};
  Day from[kSlotCount] = {};
};

Appointed AppointmentsOf(std::uint64_t i) {
  Appointed a;
  a.key = LoadedKey(i);
  const std::uint64_t h = SplitMix(a.key);
  for (std::size_t s = 0; s < kSlotCount; ++s) {
    a.party[s] = (h >> (8 * s)) % kPartiesPerSlot;
    a.from[s] = static_cast<Day>(g_today - (h >> (8 * s + 32)) % 3650);
  }
  return a;
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// The parties (party k of slot s is "2<s><k, 8 digits>", registered in the slot's role), the
// REGS sender and the LDSO; SDS k is paired with MDR k, and the even MDRs opted in to PUB-006.
void BuildParticipants() {
  g_parties = new PartyTable();  // never freed, like g_map
  std::vector<Participant> participants;
  auto add = [&participants](std::string_view id, std::string_view role) {
    Participant p;
    p.dip_id = id;
    p.role = role;
    participants.push_back(std::move(p));
  };
  auto policy = std::make_shared<Policy>();
  for (std::size_t s = 0; s < kSlotCount; ++s) {
    for (std::size_t k = 0; k < kPartiesPerSlot; ++k) {
      std::string id = std::to_string(k);
      id = "2" + std::to_string(s) + std::string(8 - id.size(), '0') + id;
      g_party_ids[s][k] = g_parties->Intern(id);
      add(id, kSlotRole[s]);
      g_party_names[s][k] = std::move(id);
    }
  }
  add(kRegs, "REGS");
  add(kLdso, "LDSO");
  for (std::size_t k = 0; k < kPartiesPerSlot; ++k) {
    const std::string& mdr = g_party_names[static_cast<std::size_t>(Slot::kMdr)][k];
    policy->pairings.emplace(g_party_names[static_cast<std::size_t>(Slot::kDataService)][k], mdr);
    if (k % 2 == 0) policy->opt_in.emplace(mdr, "PUB-006");
  }
  auto registry = Registry::Build(std::move(participants));
  if (!registry.ok()) {
    std::fprintf(stderr, "routing_bench: %s\n", registry.status().ToString().c_str());
    std::exit(1);
  }
  g_registry = registry.value();
  g_policy = std::move(policy);
}

void Build() {
  g_today = DayFromDate("2026-11-23").value_or(0);
  BuildParticipants();
  const std::size_t before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  g_map = new AppointmentMap();  // never freed: shared by every benchmark
  for (std::uint64_t i = 0; i < g_mpans; ++i) {
    const Appointed a = AppointmentsOf(i);
    for (std::size_t s = 0; s < kSlotCount; ++s) {
      g_map->Apply(a.key, static_cast<Slot>(s), g_party_ids[s][a.party[s]], a.from[s]);
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
  g_existing_cores.resize(kLookupKeys);
  g_mdr_of.resize(kLookupKeys);
  g_missing.resize(kLookupKeys);
  const auto mdr_slot = static_cast<std::size_t>(Slot::kMdr);
  for (std::size_t i = 0; i < kLookupKeys; ++i) {
    g_existing[i] = LoadedKey(SplitMix(i ^ 0xABCDEFULL) % g_mpans);
    g_existing_cores[i] = CoreOf(g_existing[i]);
    // From the map, not AppointmentsOf: where two MPANs coincide, the map holds the later one.
    const PartyId mdr = g_map->Find(g_existing[i])->Holder(Slot::kMdr, g_today);
    g_mdr_of[i] = static_cast<std::uint8_t>(mdr - g_party_ids[mdr_slot][0]);
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

dip::StrField Str(std::string_view v) { return {dip::StrField::State::kString, std::string(v)}; }

// An IF-006 as REGS sends it: no primary recipients (A0 present, list empty); the secondary
// recipients come from the MPAN's appointments.
dip::Envelope If006(const Core& mpan) {
  dip::Envelope env;
  env.has_s0 = env.has_s1 = env.has_m0 = env.has_a0 = true;
  env.interface_id = Str("IF-006");
  env.sender_dip_id = Str(kRegs);
  env.sender_role_id = Str("REGS");
  env.primary_recipients_present = true;
  env.mpan_core = Str(std::string_view(mpan.data(), mpan.size()));
  env.distributor_dip_id = Str(kLdso);
  return env;
}

// What the RouteMessage benchmarks count: recipients per decision, and refusals (which would
// mean the benchmark timed an error path, so they fail the run).
struct Tally {
  std::size_t recipients = 0;
  std::size_t refused = 0;
  dip::Status first_refusal;

  void Add(const dip::Result<Route>& route) {
    if (route.ok()) {
      recipients += route.value().recipients.size();
    } else if (refused++ == 0) {
      first_refusal = route.status();
    }
  }
  void Report(benchmark::State& state) const {
    state.SetItemsProcessed(state.iterations());
    state.counters["recipients"] = benchmark::Counter(
        static_cast<double>(recipients) /
        static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations())));
    if (refused != 0) state.SkipWithError(("refused: " + first_refusal.ToString()).c_str());
  }
};

// The whole routing decision for IF-006 (MPAN-routed, MDR opt-in) against the full map: the
// publication rule, the MPAN look-up, the registry look-up of each holder, the opt-in check, the
// LDSO. Each decision names a different random loaded MPAN (written into one of a pool of 4096
// envelopes, as the parser would have), so the map is read cold, as under real traffic.
void BM_RouteMessage(benchmark::State& state) {
  std::vector<dip::Envelope> pool;
  for (std::size_t i = 0; i < kEnvelopePool; ++i) pool.push_back(If006(g_existing_cores[i]));
  const RoutingFacts facts;
  const RouteContext ctx{g_registry.get(), g_policy.get(), g_map, g_parties, g_today};
  std::size_t i = 0;
  Tally tally;
  for (auto _ : state) {
    dip::Envelope& env = pool[i & (kEnvelopePool - 1)];
    const Core& mpan = g_existing_cores[i & (kLookupKeys - 1)];
    env.mpan_core.value.assign(mpan.data(), mpan.size());  // 13 chars: no allocation (SSO)
    dip::Result<Route> route = RouteMessage(env, "IF-006", facts, ctx);
    tally.Add(route);
    benchmark::DoNotOptimize(route);
    ++i;
  }
  tally.Report(state);
}
BENCHMARK(BM_RouteMessage);

// BM_RouteMessage as a routing shard does it for a task of 64 messages: prefetch every MPAN's
// index slot, then every state, then route each; the memory reads of the batch overlap. Figures
// are per message.
void BM_RouteBatch(benchmark::State& state) {
  constexpr std::size_t kBatch = 64;
  std::vector<dip::Envelope> pool;
  for (std::size_t i = 0; i < kBatch; ++i) pool.push_back(If006(g_existing_cores[i]));
  const RoutingFacts facts;
  const RouteContext ctx{g_registry.get(), g_policy.get(), g_map, g_parties, g_today};
  std::uint64_t keys[kBatch];
  std::size_t next = 0;
  Tally tally;
  for (auto _ : state) {
    for (std::size_t b = 0; b < kBatch; ++b) {
      const Core& mpan = g_existing_cores[next++ & (kLookupKeys - 1)];
      pool[b].mpan_core.value.assign(mpan.data(), mpan.size());
      keys[b] = *MpanKey(pool[b].mpan_core.value);
      g_map->Prefetch(keys[b]);
    }
    for (std::uint64_t key : keys) g_map->PrefetchState(key);
    for (const dip::Envelope& env : pool) {
      dip::Result<Route> route = RouteMessage(env, "IF-006", facts, ctx);
      tally.Add(route);
      benchmark::DoNotOptimize(route);
    }
  }
  tally.Report(state);  // per batch; then per message:
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["recipients"] = state.counters["recipients"] / kBatch;
}
BENCHMARK(BM_RouteBatch);

// BM_RouteMessage over the first 64 envelopes as they are (64 MPANs, whose map entries, parties
// and envelopes stay in the L1/L2 caches): the decision's own work, without memory latency.
void BM_RouteMessageWarm(benchmark::State& state) {
  std::vector<dip::Envelope> pool;
  for (std::size_t i = 0; i < kWarmEnvelopes; ++i) pool.push_back(If006(g_existing_cores[i]));
  const RoutingFacts facts;
  const RouteContext ctx{g_registry.get(), g_policy.get(), g_map, g_parties, g_today};
  std::size_t i = 0;
  Tally tally;
  for (auto _ : state) {
    dip::Result<Route> route = RouteMessage(pool[i++ & (kWarmEnvelopes - 1)], "IF-006", facts, ctx);
    tally.Add(route);
    benchmark::DoNotOptimize(route);
  }
  tally.Report(state);
}
BENCHMARK(BM_RouteMessageWarm);

// IF-064 from an MDR to the SDS it is paired with (rule `paired`: the pairing is checked, and
// the MDR must hold the MPAN's MDR appointment). Each decision names a random loaded MPAN, sent
// by the MDR appointed to it.
void BM_RouteMessagePrimary(benchmark::State& state) {
  const auto mdr_slot = static_cast<std::size_t>(Slot::kMdr);
  const auto sds_slot = static_cast<std::size_t>(Slot::kDataService);
  std::vector<dip::Envelope> by_mdr;  // [k]: sent by MDR k to SDS k
  for (std::size_t k = 0; k < kPartiesPerSlot; ++k) {
    dip::Envelope env = If006(g_existing_cores[0]);
    env.interface_id = Str("IF-064");
    env.sender_dip_id = Str(g_party_names[mdr_slot][k]);
    env.sender_role_id = Str("MDR");
    env.primary_recipients = {g_party_names[sds_slot][k]};
    by_mdr.push_back(std::move(env));
  }
  const RoutingFacts facts;
  const RouteContext ctx{g_registry.get(), g_policy.get(), g_map, g_parties, g_today};
  std::size_t i = 0;
  Tally tally;
  for (auto _ : state) {
    const std::size_t at = i++ & (kLookupKeys - 1);
    dip::Envelope& env = by_mdr[g_mdr_of[at]];
    env.mpan_core.value.assign(g_existing_cores[at].data(), g_existing_cores[at].size());
    dip::Result<Route> route = RouteMessage(env, "IF-064", facts, ctx);
    tally.Add(route);
    benchmark::DoNotOptimize(route);
  }
  tally.Report(state);
}
BENCHMARK(BM_RouteMessagePrimary);

// ---- Routing through the shards ----

constexpr std::size_t kShardMpans = 1'000'000;  // the shards' own map, whatever --mpans says
constexpr std::size_t kShardQueue = 4096;       // routing tasks per shard queue
constexpr std::size_t kBatch = 64;              // messages per routing task
constexpr std::size_t kTasksPerIteration = 64;  // 4096 messages per iteration
constexpr std::size_t kShardEnvelopes = 1024;   // envelopes per shard (reused)
constexpr std::size_t kShardCores = std::size_t{1} << 16;  // random MPANs per shard

// RoutingShards loaded with kShardMpans MPANs, and per shard the envelopes and MPAN cores its
// tasks route. A task writes the next core into the next envelope of its shard: tasks of one
// shard run one at a time on its thread, so no two touch an envelope at once.
struct ShardBench {
  std::vector<std::vector<dip::Envelope>> envelopes;  // [shard]
  std::vector<std::vector<Core>> cores;               // [shard]: MPANs that shard owns
  std::atomic<std::uint32_t> done{0};                 // tasks finished this iteration
  std::atomic<std::uint64_t> routed{0};               // messages routed without refusal
  std::unique_ptr<broker::RoutingShards> shards;      // last: stopped before the rest goes
};

std::map<std::size_t, std::unique_ptr<ShardBench>> g_shard_benches;  // by shard count

ShardBench& ShardBenchFor(std::size_t n) {
  std::unique_ptr<ShardBench>& slot = g_shard_benches[n];
  if (slot) return *slot;
  auto sb = std::make_unique<ShardBench>();
  sb->shards = std::make_unique<broker::RoutingShards>(n, kShardQueue, g_policy);
  const auto start = std::chrono::steady_clock::now();
  storage::AppointmentRow row;
  for (std::uint64_t i = 0; i < kShardMpans; ++i) {
    const Appointed a = AppointmentsOf(i);
    row.mpan = a.key;
    for (std::size_t s = 0; s < kSlotCount; ++s) {
      row.slot = static_cast<std::uint8_t>(s);
      row.from_day = a.from[s];
      row.party = g_party_names[s][a.party[s]];
      sb->shards->Load(row);
    }
  }
  std::printf("shards: %zu loaded with %zu MPANs in %.2f s\n", n, kShardMpans,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::fflush(stdout);
  sb->envelopes.resize(n);
  sb->cores.resize(n);
  for (std::uint64_t i = 0;; ++i) {
    const Core core = CoreOf(LoadedKey(SplitMix(i ^ 0x1234ULL) % kShardMpans));
    std::vector<Core>& mine = sb->cores[sb->shards->ShardOf({core.data(), core.size()})];
    if (mine.size() < kShardCores) mine.push_back(core);
    bool full = true;
    for (const auto& c : sb->cores) full = full && c.size() == kShardCores;
    if (full) break;
  }
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t e = 0; e < kShardEnvelopes; ++e) {
      sb->envelopes[s].push_back(If006(sb->cores[s][e]));
    }
  }
  sb->shards->Start();
  slot = std::move(sb);
  return *slot;
}

// Routing throughput of the shard threads: the benchmark thread posts tasks of kBatch IF-006
// messages (each to the shard owning its MPANs), and each task routes them with its shard's own
// appointments, parties and policy. Real time: the figure is messages routed per second.
void BM_ShardThroughput(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ShardBench& sb = ShardBenchFor(n);
  const Registry* registry = g_registry.get();
  std::vector<std::size_t> next(n, 0);  // per shard: where its next task starts
  std::uint64_t posted = 0;
  sb.routed = 0;
  for (auto _ : state) {
    sb.done = 0;
    for (std::size_t t = 0; t < kTasksPerIteration; ++t) {
      const std::size_t shard = t % n;
      const std::size_t first = next[shard];
      next[shard] += kBatch;
      auto task = [&sb, registry, shard, first](broker::ShardState& st) {
        const RoutingFacts facts;
        const RouteContext ctx{registry, st.policy.get(), &st.appointments, &st.parties, g_today};
        std::uint64_t ok = 0;
        for (std::size_t m = first; m < first + kBatch; ++m) {
          dip::Envelope& env = sb.envelopes[shard][m & (kShardEnvelopes - 1)];
          const Core& mpan = sb.cores[shard][m & (kShardCores - 1)];
          env.mpan_core.value.assign(mpan.data(), mpan.size());
          ok += RouteMessage(env, "IF-006", facts, ctx).ok() ? 1 : 0;
        }
        sb.routed.fetch_add(ok, std::memory_order_relaxed);
        if (sb.done.fetch_add(1) + 1 == kTasksPerIteration) sb.done.notify_one();
      };
      while (!sb.shards->Post(shard, task)) std::this_thread::yield();  // queue full: retry
    }
    posted += kTasksPerIteration * kBatch;
    for (std::uint32_t d = sb.done.load(); d < kTasksPerIteration; d = sb.done.load()) {
      sb.done.wait(d);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(posted));
  if (sb.routed.load() != posted) state.SkipWithError("some messages were refused");
}
BENCHMARK(BM_ShardThroughput)->ArgName("shards")->Arg(1)->Arg(2)->UseRealTime();

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
  g_shard_benches.clear();  // stops the shard threads
  return 0;
}
