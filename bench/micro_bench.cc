// Micro benchmarks of what the hub does per message and per batch. Run:
//   build/bench/micro_bench            (figures in docs/performance.md)
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "bench/bench_record.h"
#include "broker/delivery_queries.h"
#include "dip/catalogue.h"
#include "dip/egress.h"
#include "dip/envelope.h"
#include "dip/l1.h"
#include "dip/sample_message.h"
#include "dip/schema_check.h"
#include "dip/signature.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace {

using namespace diphub;

std::string Sample() {
  std::ifstream in(DIPHUB_SOURCE_DIR "/deploy/examples/if-061.json");
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) throw std::runtime_error("deploy/examples/if-061.json not found");
  return ss.str();
}

// An array of `n` copies of the sample message.
std::string Array(std::size_t n) {
  std::string one = Sample();
  std::size_t open = one.find('{'), close = one.rfind('}');
  std::string item = one.substr(open, close - open + 1);
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + item;
  return out + "]";
}

void BM_ParseMessageArray(benchmark::State& state) {
  std::string body = Array(static_cast<std::size_t>(state.range(0)));
  body.reserve(body.size() + 64);
  std::string scratch;
  for (auto _ : state) {
    dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_ParseMessageArray)->Arg(1)->Arg(100);

void BM_CheckEnvelope(benchmark::State& state) {
  std::string body = Array(1), scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  dip::L1Options options{"IF-061", "DEV"};
  for (auto _ : state) {
    dip::Status s = dip::CheckEnvelope(parsed.items[0].envelope, options);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckEnvelope);

// Egress of one message. Arg 0: from a copy of the accepted bytes; arg 1: from a stored message
// as storage::DecodeMessage returns it, with room for the parser's padding, so it is parsed in
// place without the copy arg 0 makes.
void BM_RenderEgress(benchmark::State& state) {
  std::string body = Array(1), scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  std::string raw;
  if (state.range(0) == 1) raw.reserve(parsed.items[0].envelope.raw.size() + dip::kBodyPadding);
  raw.assign(parsed.items[0].envelope.raw);
  dip::Addressing a0{{"1200000001"}, {}, {}};
  dip::DipBlock d0{"T-IF-061-1100000001-SDS-20261122-0000000000000001",
                   "2026-11-22T09:30:00+00:00",
                   "PUB-061",
                   "CI-1",
                   false,
                   std::nullopt};
  std::string out;
  for (auto _ : state) {
    out.clear();
    dip::Status s = dip::AppendEgressMessage(raw, a0, d0, &out);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RenderEgress)->Arg(0)->Arg(1);

std::shared_ptr<const dip::Signer> TestSigner() {
  static auto kc = dip::GenerateSelfSigned("bench");
  static auto signer = dip::Signer::FromPem(kc.value().key_pem, kc.value().cert_pem);
  return signer.value();
}

// One signature per webhook POST (a batch), whatever its size.
void BM_SignWebhookBatch(benchmark::State& state) {
  auto signer = TestSigner();
  std::string body = Array(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    dip::SignatureHeaders h =
        signer->SignRequest("POST", "http://127.0.0.1:9000/dip", body, "2026-11-22T09:30:00.000Z");
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignWebhookBatch)->Arg(1)->Arg(100);

void BM_VerifyRequest(benchmark::State& state) {
  auto signer = TestSigner();
  std::string body = Array(1);
  dip::SignatureHeaders h = signer->SignRequest("POST", "http://127.0.0.1:8080/dip-channel/IF-061",
                                                body, "2026-11-22T09:30:00.000Z");
  for (auto _ : state) {
    dip::Status s = dip::VerifyRequest("POST", "http://127.0.0.1:8080/dip-channel/IF-061", body, h);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyRequest);

// The same check through dip::Verifier, whose certificate cache is what the hub uses on ingress.
void BM_VerifyRequestCached(benchmark::State& state) {
  auto signer = TestSigner();
  std::string body = Array(1);
  dip::SignatureHeaders h = signer->SignRequest("POST", "http://127.0.0.1:8080/dip-channel/IF-061",
                                                body, "2026-11-22T09:30:00.000Z");
  dip::Verifier verifier;
  for (auto _ : state) {
    dip::Status s = verifier.Verify("POST", "http://127.0.0.1:8080/dip-channel/IF-061", body, h);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyRequestCached);

// A schema-valid IF-064 [MDRConsumption] with `periods` half-hour periods, built from the
// generated catalogue: 26 periods make the 2 KB message the goals name (2,2xx bytes),
// 48 periods a whole settlement day (3.5 KB).
std::string If064Body(std::uint32_t periods, std::uint32_t seed = 1) {
  dip::SampleOptions options;
  options.seed = seed;
  options.optional_share = 0;
  options.null_share = 0;
  options.fixed = dip::HubEnvelope("1200000001", "MDR", "DEV");
  options.fixed.emplace_back("CommonBlock.A0.primaryRecipients", "[\"1100000001\"]");
  options.list_sizes = {{"CustomBlock.B941List", 1},
                        {"CustomBlock.B941List[].MDRConsumptionPeriods", periods}};
  const dip::generated::EventRow* row = dip::FindEvent("IF-064", "[MDRConsumption]");
  if (row == nullptr) throw std::runtime_error("IF-064 [MDRConsumption] not in the catalogue");
  return "[" + dip::SampleMessage(*row, options) + "]";
}

std::uint32_t Periods(const benchmark::State& state) {
  return static_cast<std::uint32_t>(state.range(0));
}

// Level-1 validation of one IF-064 (argument: periods), per message: the one walk of
// ParseMessageArray with level-1 options (structure, envelope, envelope rules, schema). The
// request body is allocated with room for simdjson's padding, as the HTTP server allocates it.
void BM_ValidateIf064(benchmark::State& state) {
  std::string body = If064Body(Periods(state)), scratch;
  body.reserve(body.size() + 64);
  dip::L1Options options{"IF-064", "DEV"};
  for (auto _ : state) {
    dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch, &options);
    const dip::Status& s = parsed.items[0].status;
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(s);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateIf064)->Arg(26)->Arg(48);

// The same verdict by separate passes (ParseMessageArray, then CheckMessage: CheckEnvelope and
// the schema walk over the message again), as ingest ran it before the one walk.
void BM_ValidateIf064SeparatePasses(benchmark::State& state) {
  std::string body = If064Body(Periods(state)), scratch;
  body.reserve(body.size() + 64);
  dip::L1Options options{"IF-064", "DEV"};
  for (auto _ : state) {
    dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
    dip::Status s = dip::CheckMessage(parsed.items[0].envelope, options);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateIf064SeparatePasses)->Arg(26)->Arg(48);

// The schema walk alone on the same message.
void BM_SchemaWalkIf064(benchmark::State& state) {
  std::string body = If064Body(Periods(state)), scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  for (auto _ : state) {
    dip::Status s =
        dip::CheckMessageSchema(parsed.items[0].envelope.raw, "IF-064", "[MDRConsumption]");
    benchmark::DoNotOptimize(s);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SchemaWalkIf064)->Arg(26)->Arg(48);

// The request's signature check alone (dip::Verifier, certificate cached) on the same body.
void BM_VerifyIf064(benchmark::State& state) {
  auto signer = TestSigner();
  std::string body = If064Body(Periods(state));
  const std::string url = "http://127.0.0.1:8080/dip-channel/IF-064";
  dip::SignatureHeaders h = signer->SignRequest("POST", url, body, "2026-11-22T09:30:00.000Z");
  dip::Verifier verifier;
  for (auto _ : state) {
    dip::Status v = verifier.Verify("POST", url, body, h);
    if (!v.ok()) state.SkipWithError(v.ToString().c_str());
    benchmark::DoNotOptimize(v);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyIf064)->Arg(26)->Arg(48);

// Validation plus the request's signature check (with the hub's certificate cache), as a
// single-message POST /dip-channel/IF-064 costs on ingress, per message.
void BM_ValidateAndVerifyIf064(benchmark::State& state) {
  auto signer = TestSigner();
  std::string body = If064Body(Periods(state)), scratch;
  body.reserve(body.size() + 64);
  const std::string url = "http://127.0.0.1:8080/dip-channel/IF-064";
  dip::SignatureHeaders h = signer->SignRequest("POST", url, body, "2026-11-22T09:30:00.000Z");
  dip::Verifier verifier;
  dip::L1Options options{"IF-064", "DEV"};
  for (auto _ : state) {
    dip::Status v = verifier.Verify("POST", url, body, h);
    dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch, &options);
    const dip::Status& s = parsed.items[0].status;
    if (!v.ok() || !s.ok()) state.SkipWithError((v.ToString() + s.ToString()).c_str());
    benchmark::DoNotOptimize(s);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateAndVerifyIf064)->Arg(26)->Arg(48);

// A RocksDB store in a fresh temp dir, removed afterwards; null (and the benchmark skipped)
// when it cannot be made.
struct TempStore {
  std::string dir;
  std::unique_ptr<storage::Store> store;
  ~TempStore() {
    store.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<TempStore> OpenTempStore(benchmark::State& state,
                                         const storage::StoreOptions& options = {}) {
  auto t = std::make_unique<TempStore>();
  t->dir = (std::filesystem::temp_directory_path() / "diphub-bench-XXXXXX").string();
  if (mkdtemp(t->dir.data()) == nullptr) {
    t->dir.clear();
    state.SkipWithError("mkdtemp failed");
    return nullptr;
  }
  auto store = storage::OpenRocksStore(t->dir, options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return nullptr;
  }
  t->store = std::move(store).value();
  return t;
}

// Messages of 2 KB through the group committer into RocksDB with one fsync per batch; the
// batch size is the number of sends queued together (range(0)).
void BM_GroupCommitFsync(benchmark::State& state) {
  auto temp = OpenTempStore(state);
  if (!temp) return;
  {
    storage::GroupCommitter committer(temp->store.get(), {}, {});
    std::string raw(2048, 'x');
    std::uint64_t n = 0;
    const auto batch = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
      // The measuring thread blocks (no spinning) so the committer has the CPU.
      std::mutex mu;
      std::condition_variable cv;
      std::size_t done = 0;
      for (std::size_t i = 0; i < batch; ++i) {
        storage::GroupCommitter::Request req;
        req.records.push_back(bench::BenchRecord("S-" + std::to_string(n++), raw));
        req.done = [&](const dip::Status&, std::size_t, std::vector<storage::MessageRecord>&) {
          std::lock_guard lock(mu);
          if (++done == batch) cv.notify_one();
        };
        committer.Submit(std::move(req));
      }
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done == batch; });
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
  }
}
BENCHMARK(BM_GroupCommitFsync)->Arg(1)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096)->UseRealTime();

// The committer's CPU work without the fsync: Store::Append of range(0) 2 KB messages (one
// recipient each; three keys per message since store format 5: record, byref, published) in
// one WriteBatch, written without sync, plus
// the duplicate check the committer makes first for each. Runs on the measuring thread, so
// its CPU time is the committer's cost per batch even on a busy machine.
void BM_StoreAppend(benchmark::State& state) {
  auto temp = OpenTempStore(state);
  if (!temp) return;
  {
    storage::Store* store = temp->store.get();
    const auto batch = static_cast<std::size_t>(state.range(0));
    std::vector<storage::MessageRecord> records(batch);
    std::vector<const storage::MessageRecord*> ptrs;
    for (storage::MessageRecord& m : records) {
      m.interface_id = "IF-064";
      m.event_code = "[MDRConsumption]";
      m.sender_dip_id = "1200000001";
      m.sender_role = "MDR";
      m.transaction_timestamp = "2026-11-22T09:30:00+00:00";
      m.recipients = {"1100000001"};
      m.primary_recipients = {"1100000001"};
      m.raw = std::string(2048, 'x');
      ptrs.push_back(&m);
    }
    std::uint64_t seq = 0;
    for (auto _ : state) {
      for (storage::MessageRecord& m : records) {
        m.seq = ++seq;
        m.sender_unique_reference = "S-IF-064-1200000001-MDR-20261122-" + std::to_string(seq);
        m.transaction_id = "T-IF-064-1200000001-MDR-20261122-0000" + std::to_string(seq);
        benchmark::DoNotOptimize(store->IsDuplicate(m.sender_dip_id, m.sender_unique_reference));
      }
      if (!store->Append(ptrs, storage::Durability::kOsBuffered).ok()) {
        state.SkipWithError("append failed");
        break;
      }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  }
}
BENCHMARK(BM_StoreAppend)->Arg(256)->Arg(1024);

// The whole committer's CPU per message, fsync aside: sends of 50 3.4 KB messages (the zmq
// load's shape) through GroupCommitter into RocksDB written without sync (kOsBuffered), with
// the committer threads' CPU counted (MeasureProcessCPUTime): key hashing and duplicate
// checks, sequence numbers and transaction IDs, the store's encoding and write, the answers,
// and the records' destruction. range(0) sends are built untimed, then queued at once.
// `raws` are the messages' bodies, used in turn; `store_options` opens the store.
void GroupCommitCpu(benchmark::State& state, const std::vector<std::string>& raws,
                    const storage::StoreOptions& store_options) {
  auto temp = OpenTempStore(state, store_options);
  if (!temp) return;
  {
    storage::GroupCommitOptions options;
    options.durability = storage::Durability::kOsBuffered;
    storage::GroupCommitter committer(temp->store.get(), options, {});
    constexpr std::size_t kPerSend = 50;
    std::uint64_t n = 0;
    const auto sends = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
      // The sends are built untimed: only the committer's work is counted.
      state.PauseTiming();
      std::mutex mu;
      std::condition_variable cv;
      std::size_t done = 0;
      std::vector<storage::GroupCommitter::Request> requests(sends);
      for (storage::GroupCommitter::Request& req : requests) {
        for (std::size_t k = 0; k < kPerSend; ++k) {
          req.records.push_back(bench::BenchRecord(
              "S-IF-064-1200000001-MDR-20261122-L" + std::to_string(n), raws[n % raws.size()]));
          ++n;
        }
        req.done = [&](const dip::Status&, std::size_t, std::vector<storage::MessageRecord>&) {
          std::lock_guard lock(mu);
          if (++done == sends) cv.notify_one();
        };
      }
      state.ResumeTiming();
      for (storage::GroupCommitter::Request& req : requests) committer.Submit(std::move(req));
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done == sends; });
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * sends * kPerSend));
  }
}

void BM_GroupCommitCpu(benchmark::State& state) {
  GroupCommitCpu(state, {std::string(3400, 'x')}, {});
}
BENCHMARK(BM_GroupCommitCpu)->Arg(20)->MeasureProcessCPUTime();

// The same with schema-valid IF-064 [MDRConsumption] of a whole day (48 periods, ~3.5 KB; 64
// different ones, by seed, used in turn) instead of 'x's, with the write-ahead log compressed
// (range(1) 1) or not (0): what StoreOptions::compress_wal costs or saves on the committer's
// CPU with messages as alike as real ones (docs/performance.md, "Issue #15, third round"); and
// with the raw bytes in the message log (range(2) 1, the default) or inline in RocksDB (0, as
// before format 6; docs/performance.md, "Issue #15, fifth round").
void BM_GroupCommitCpuIf064(benchmark::State& state) {
  static const std::vector<std::string> raws = [] {
    std::vector<std::string> v;
    for (std::uint32_t seed = 1; seed <= 64; ++seed) {
      std::string body = If064Body(48, seed);
      v.push_back(body.substr(1, body.size() - 2));  // the element, without the array's [ ]
    }
    return v;
  }();
  storage::StoreOptions options;
  options.compress_wal = state.range(1) != 0;
  options.message_log = state.range(2) != 0;
  GroupCommitCpu(state, raws, options);
}
BENCHMARK(BM_GroupCommitCpuIf064)
    ->Args({20, 0, 0})
    ->Args({20, 1, 0})
    ->Args({20, 0, 1})
    ->Args({20, 1, 1})
    ->MeasureProcessCPUTime();

// Replay: pages of 100 publications read back through DeliveryQueries::Replay (index scan,
// message reads, rendering with replayIndicator true) from a store of 20,000 2 KB messages.
void BM_ReplayPages(benchmark::State& state) {
  auto temp = OpenTempStore(state);
  if (!temp) return;
  {
    storage::Store* store = temp->store.get();
    std::string body = Array(1), scratch;
    dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
    const std::string raw(parsed.items[0].envelope.raw);
    constexpr std::uint64_t kMessages = 20000;
    std::vector<storage::MessageRecord> records(kMessages);
    std::vector<const storage::MessageRecord*> ptrs;
    for (std::uint64_t i = 0; i < kMessages; ++i) {
      storage::MessageRecord& m = records[i];
      m.seq = i + 1;
      m.transaction_id = "T-IF-061-1100000001-SDS-20261122-0000" + std::to_string(100000000000 + i);
      m.transaction_timestamp = "2026-11-22T09:30:00+00:00";
      m.accepted_unix_ms = 1795000000000 + static_cast<std::int64_t>(i);
      m.interface_id = "IF-061";
      m.event_code = "[MDRStart]";
      m.sender_dip_id = "1100000001";
      m.sender_role = "SDS";
      m.sender_unique_reference = "S-" + std::to_string(i);
      m.primary_recipients = {"1200000001"};
      m.recipients = {"1200000001"};
      m.raw = raw;
      ptrs.push_back(&m);
      if (ptrs.size() == 1000) {
        if (!store->Append(ptrs, storage::Durability::kOsBuffered).ok()) {
          state.SkipWithError("append failed");
          return;
        }
        ptrs.clear();
      }
    }
    broker::DeliveryQueries queries(store, nullptr);
    broker::ReplayQuery query;
    query.interface_id = "IF-061";
    std::string token;
    std::size_t messages = 0;
    for (auto _ : state) {
      auto page = queries.Replay("1200000001", query, token);
      if (!page.ok()) {
        state.SkipWithError(page.status().ToString().c_str());
        break;
      }
      messages += page.value().messages;
      token = page.value().continuation_token;  // wraps to the start after the last page
      benchmark::DoNotOptimize(page);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(messages));
  }
}
BENCHMARK(BM_ReplayPages)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
