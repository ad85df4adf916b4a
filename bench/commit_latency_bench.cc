// commit_latency_bench: the group commit alone at a fixed rate, as the hub sees it at half
// load. Sends of --messages IF-064-sized records arrive every --interval-us from one pacing
// thread and go through storage::GroupCommitter into a real RocksDB store with an fsync per
// commit; each send's latency is from its due time to its answer (so a late pacing thread or
// a stalled commit counts). Prints percentiles, the batches' sizes and the fsync times. It
// measures; nothing asserts a time (docs/performance.md, "Where the tail came from").
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/bench_record.h"
#include "bench/load/histogram.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace {

using namespace diphub;  // NOLINT: a program's main file
using Clock = std::chrono::steady_clock;

std::string Ms(std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us) / 1000.0);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t sends = 2000, messages = 50, bytes = 3300, committers = 2;
  std::int64_t interval_us = 5000;
  CLI::App app{"The group commit's send -> answer latency at a fixed rate (real RocksDB, fsync)"};
  app.add_option("--sends", sends, "sends in all")->capture_default_str();
  app.add_option("--messages", messages, "messages per send")->capture_default_str();
  app.add_option("--bytes", bytes, "bytes per message")->capture_default_str();
  app.add_option("--interval-us", interval_us, "one send every this many microseconds")
      ->capture_default_str();
  app.add_option("--committers", committers, "GroupCommitOptions::committers")
      ->capture_default_str();
  bool message_log = true;
  app.add_option("--message-log", message_log,
                 "StoreOptions::message_log: the raw bytes in the message log (else inline)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string dir = (std::filesystem::temp_directory_path() / "diphub-commit-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return std::fprintf(stderr, "mkdtemp failed\n"), 2;
  int rc = 0;
  {
    storage::StoreOptions store_options;
    store_options.message_log = message_log;
    auto store = storage::OpenRocksStore(dir, store_options);
    if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 2;
    std::mutex mu;
    std::condition_variable cv;
    std::size_t answered = 0, failed = 0;
    load::Histogram latency, batch_messages, write_us;
    storage::GroupCommitOptions options;
    options.committers = committers;
    storage::GroupCommitter committer(
        store.value().get(), options, [&](const storage::BatchStats& s) {
          std::lock_guard lock(mu);
          batch_messages.Record(static_cast<std::int64_t>(s.messages));
          write_us.Record(static_cast<std::int64_t>(s.write_seconds * 1e6));
        });
    const std::string raw(bytes, 'x');
    const auto start = Clock::now();
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < sends; ++i) {
      const auto due =
          start + std::chrono::microseconds(interval_us * static_cast<std::int64_t>(i));
      storage::GroupCommitter::Request req;
      for (std::size_t k = 0; k < messages; ++k) {
        req.records.push_back(bench::BenchRecord("S-" + std::to_string(n++), raw));
      }
      req.done = [&, due](const dip::Status& s, std::size_t, std::vector<storage::MessageRecord>&) {
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count();
        std::lock_guard lock(mu);
        latency.Record(us);
        failed += s.ok() ? 0 : 1;
        if (++answered == sends) cv.notify_one();
      };
      std::this_thread::sleep_until(due);  // the records are built before the due time
      if (!committer.Submit(std::move(req))) {
        std::lock_guard lock(mu);
        ++failed;
        if (++answered == sends) cv.notify_one();
      }
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return answered == sends; });
    std::printf(
        "commit_latency_bench: %zu sends of %zu x %zu B every %lld us (%.0f msg/s), %zu "
        "committers\n",
        sends, messages, bytes, static_cast<long long>(interval_us),
        1e6 * static_cast<double>(messages) / static_cast<double>(interval_us), committers);
    std::printf("  due -> answered  p50 %s  p99 %s  p99.9 %s  max %s\n",
                Ms(latency.Percentile(0.5)).c_str(), Ms(latency.Percentile(0.99)).c_str(),
                Ms(latency.Percentile(0.999)).c_str(), Ms(latency.max()).c_str());
    std::printf("  write + fsync    p50 %s  p99 %s  p99.9 %s  max %s  (%llu commits)\n",
                Ms(write_us.Percentile(0.5)).c_str(), Ms(write_us.Percentile(0.99)).c_str(),
                Ms(write_us.Percentile(0.999)).c_str(), Ms(write_us.max()).c_str(),
                static_cast<unsigned long long>(write_us.count()));
    std::printf("  messages/commit p50 %llu  p99 %llu  max %llu\n",
                static_cast<unsigned long long>(batch_messages.Percentile(0.5)),
                static_cast<unsigned long long>(batch_messages.Percentile(0.99)),
                static_cast<unsigned long long>(batch_messages.max()));
    if (failed > 0) {
      std::printf("  %zu sends failed\n", failed);
      rc = 1;
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
