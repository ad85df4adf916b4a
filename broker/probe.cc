#include "broker/probe.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dip/catalogue.h"

namespace diphub::broker {
namespace {

namespace gen = dip::generated;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// Sender roles as labels; anything else counts as "other".
constexpr std::string_view kRoles[] = {"SUP",  "REGS", "LDSO", "SDS", "ADS", "UMSDS", "MSS", "MSA",
                                       "UMSO", "MDR",  "MDS",  "LSS", "EES", "ECS",   "ISD"};
constexpr std::size_t kRoleCount = std::size(kRoles) + 1;

std::size_t RoleSlot(std::string_view role) {
  for (std::size_t i = 0; i < std::size(kRoles); ++i) {
    if (kRoles[i] == role) return i;
  }
  return std::size(kRoles);
}
std::string RoleName(std::size_t slot) {
  return slot < std::size(kRoles) ? std::string(kRoles[slot]) : "other";
}

// MSG codes from the generated table (MSG0000 excluded), then "other".
std::vector<std::string> MsgCodes() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < gen::kCodeCount; ++i) {
    std::string_view c = gen::kCodes[i].code;
    if (c.starts_with("MSG") && c != "MSG0000") out.emplace_back(c);
  }
  return out;
}

// Event slots: catalogue rows, then "unknown event" of each interface, then unknown interface.
std::size_t EventSlotCount() { return gen::kEventCount + gen::kInterfaceCount + 1; }
std::pair<std::string, std::string> EventSlotLabels(std::size_t slot) {
  if (slot < gen::kEventCount)
    return {gen::kEvents[slot].interface_id, gen::kEvents[slot].event_code};
  slot -= gen::kEventCount;
  if (slot < gen::kInterfaceCount) return {gen::kInterfaces[slot].id, "unknown"};
  return {"unknown", "unknown"};
}

Counter& MakeCounter(Family<Counter>& f, const Labels& l) { return f.Add(l); }

const Histogram::BucketBoundaries kLatencyBuckets{
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
const Histogram::BucketBoundaries kSlaBuckets{1,    5,    15,   30,    60,    300,   900,
                                              1800, 3600, 7200, 14400, 43200, 86400, 172800};

}  // namespace

Probe::Probe() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& reg = *registry_;
  auto Named = [this](const char* name) {
    names_.emplace_back(name);
    return std::string(name);
  };
  auto& accepted = prometheus::BuildCounter()
                       .Name(Named("diphub_messages_accepted_total"))
                       .Help("Messages accepted (201) and durably stored")
                       .Register(reg);
  accepted_ = std::make_unique<LazyChildren<Counter>>(
      &accepted, gen::kEventCount * kRoleCount,
      [](std::size_t slot) {
        const gen::EventRow& row = gen::kEvents[slot / kRoleCount];
        return Labels{{"interface", row.interface_id},
                      {"event", row.event_code},
                      {"sender_role", RoleName(slot % kRoleCount)}};
      },
      MakeCounter);

  static const std::vector<std::string> codes = MsgCodes();
  const std::size_t code_count = codes.size() + 1;
  auto& rejected = prometheus::BuildCounter()
                       .Name(Named("diphub_messages_rejected_total"))
                       .Help("Messages rejected at level 1, by DIP code")
                       .Register(reg);
  rejected_ = std::make_unique<LazyChildren<Counter>>(
      &rejected, EventSlotCount() * kRoleCount * code_count,
      [code_count](std::size_t slot) {
        std::size_t code = slot % code_count;
        std::size_t role = (slot / code_count) % kRoleCount;
        auto [iface, event] = EventSlotLabels(slot / code_count / kRoleCount);
        return Labels{{"interface", iface},
                      {"event", event},
                      {"sender_role", RoleName(role)},
                      {"code", code < codes.size() ? codes[code] : "other"}};
      },
      MakeCounter);

  overloaded_ = &prometheus::BuildCounter()
                     .Name(Named("diphub_sends_overloaded_total"))
                     .Help("Sends answered 429 because the commit queue was full")
                     .Register(reg)
                     .Add({});
  status_messages_ =
      &prometheus::BuildCounter()
           .Name(Named("diphub_status_messages_total"))
           .Help("Status messages (POST /statusmessage) accepted or rejected, by code")
           .Register(reg);
  batch_messages_ = &prometheus::BuildHistogram()
                         .Name(Named("diphub_group_commit_batch_messages"))
                         .Help("Messages per group commit (one WriteBatch, one fsync)")
                         .Register(reg)
                         .Add({}, Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                              1024, 2048, 4096});
  write_seconds_ =
      &prometheus::BuildHistogram()
           .Name(Named("diphub_group_commit_write_seconds"))
           .Help("Time to write and fsync one group commit")
           .Register(reg)
           .Add({}, Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025, 0.05, 0.1, 0.25, 1});
  jetstream_publish_seconds_ =
      &prometheus::BuildHistogram()
           .Name(Named("diphub_jetstream_publish_seconds"))
           .Help(
               "Time from publishing one log entry to its quorum PubAck (storage.engine "
               "jetstream)")
           .Register(reg)
           .Add({}, Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025, 0.05, 0.1, 0.25, 1, 5});
  jetstream_replayed_ = &prometheus::BuildCounter()
                             .Name(Named("diphub_jetstream_replayed_entries_total"))
                             .Help(
                                 "Log entries applied from the stream at start (storage.engine "
                                 "jetstream)")
                             .Register(reg)
                             .Add({});
  jetstream_restored_ = &prometheus::BuildCounter()
                             .Name(Named("diphub_jetstream_restored_parts_total"))
                             .Help(
                                 "Log entry parts the stream lost after acknowledging them, "
                                 "published again (storage.engine jetstream)")
                             .Register(reg)
                             .Add({});
  auto& stages = prometheus::BuildHistogram()
                     .Name(Named("diphub_stage_seconds"))
                     .Help("Time a message spends in each stage of its way through the hub")
                     .Register(reg);
  static const char* const kStageNames[] = {"ingest",        "commit_queue", "commit_checks",
                                            "commit_write",  "commit_sync",  "commit_answer",
                                            "delivery_wait", "delivery_post"};
  static_assert(std::size(kStageNames) == static_cast<std::size_t>(Stage::kCount));
  for (std::size_t i = 0; i < std::size(kStageNames); ++i) {
    stages_[i] = &stages.Add(
        {{"stage", kStageNames[i]}},
        Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005,
                                    0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1, 5});
  }
  deliveries_ = &prometheus::BuildCounter()
                     .Name(Named("diphub_deliveries_total"))
                     .Help("Messages by outbound status, per recipient")
                     .Register(reg);
  retries_ = &prometheus::BuildCounter()
                  .Name(Named("diphub_delivery_retries_total"))
                  .Help("Webhook POSTs that were retries, per recipient")
                  .Register(reg);
  dead_letters_ = &prometheus::BuildCounter()
                       .Name(Named("diphub_dead_letters_total"))
                       .Help("Messages dead-lettered after delivery.max_attempts, per recipient")
                       .Register(reg);
  queue_depth_ = &prometheus::BuildGauge()
                      .Name(Named("diphub_delivery_queue_depth"))
                      .Help("Messages accepted for the recipient and not yet finished")
                      .Register(reg);
  in_flight_ = &prometheus::BuildGauge()
                    .Name(Named("diphub_delivery_in_flight"))
                    .Help("Messages in the webhook POST under way, per recipient")
                    .Register(reg);
  auto& latency = prometheus::BuildHistogram()
                      .Name(Named("diphub_delivery_latency_seconds"))
                      .Help("Acceptance (201) to the recipient's 2xx, per publication")
                      .Register(reg);
  latency_ = std::make_unique<LazyChildren<Histogram>>(
      &latency, gen::kInterfaceCount,
      [](std::size_t slot) {
        return Labels{{"publication", dip::PublicationId(gen::kInterfaces[slot].id)}};
      },
      [](Family<Histogram>& f, const Labels& l) -> Histogram& {
        return f.Add(l, kLatencyBuckets);
      });
  sla_response_ = &prometheus::BuildHistogram()
                       .Name(Named("diphub_sla_response_seconds"))
                       .Help("Request publication delivered -> the participant's response")
                       .Register(reg);
  sla_breaches_ = &prometheus::BuildCounter()
                       .Name(Named("diphub_sla_breaches_total"))
                       .Help("Responses slower than the pair's threshold")
                       .Register(reg);
  ready_ = &prometheus::BuildGauge()
                .Name(Named("diphub_ready"))
                .Help("1 when storage is open, delivery shards run and adapters are up")
                .Register(reg)
                .Add({});
  cluster_leader_family_ =
      &prometheus::BuildGauge()
           .Name(Named("diphub_cluster_leader"))
           .Help("1 on the node holding the cluster's leader lease (cluster.enabled only)")
           .Register(reg);
  auto gauge = [&reg, &Named](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(Named(name)).Help(help).Register(reg).Add({});
  };
  sst_bytes_ = gauge("diphub_rocksdb_sst_bytes", "Total size of RocksDB's SST files");
  memtable_bytes_ = gauge("diphub_rocksdb_memtable_bytes", "Size of RocksDB's memtables");
  pending_compaction_bytes_ = gauge("diphub_rocksdb_pending_compaction_bytes",
                                    "Bytes RocksDB estimates compaction still has to rewrite");
  message_log_bytes_ = gauge("diphub_message_log_bytes",
                             "Total size of the message log's segment files (messages' raw bytes)");
  routing_mpans_ = gauge("diphub_routing_mpans", "MPANs in the routing shards' appointment maps");
  routing_memory_bytes_ = gauge("diphub_routing_memory_bytes",
                                "Bytes allocated by the routing shards' appointment maps");
  cpu_seconds_ = &prometheus::BuildCounter()
                      .Name(Named("process_cpu_seconds_total"))
                      .Help("Total user and system CPU time spent in seconds")
                      .Register(reg)
                      .Add({});
  rss_bytes_ = gauge("process_resident_memory_bytes", "Resident memory size in bytes");
  vm_bytes_ = gauge("process_virtual_memory_bytes", "Virtual memory size in bytes");
  open_fds_ = gauge("process_open_fds", "Number of open file descriptors");
  max_fds_ = gauge("process_max_fds", "Maximum number of open file descriptors");
  start_time_ = gauge("process_start_time_seconds", "Start time of the process since the epoch");
}

void Probe::Accepted(const gen::EventRow* event_row, std::string_view sender_role,
                     std::size_t messages) {
  std::size_t slot = dip::EventIndex(event_row) * kRoleCount + RoleSlot(sender_role);
  accepted_->At(slot).Increment(static_cast<double>(messages));
}

void Probe::Rejected(std::string_view interface_id, std::string_view event_code,
                     std::string_view sender_role, std::string_view code, std::size_t messages) {
  static const std::vector<std::string> codes = MsgCodes();
  std::size_t event_slot = gen::kEventCount + gen::kInterfaceCount;  // unknown interface
  if (auto iface = dip::CanonicalInterface(interface_id)) {
    if (const gen::EventRow* row = dip::FindEvent(*iface, event_code)) {
      event_slot = dip::EventIndex(row);
    } else {
      event_slot = gen::kEventCount + *dip::InterfaceIndex(*iface);
    }
  }
  std::size_t code_slot = codes.size();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] == code) code_slot = i;
  }
  std::size_t slot =
      (event_slot * kRoleCount + RoleSlot(sender_role)) * (codes.size() + 1) + code_slot;
  rejected_->At(slot).Increment(static_cast<double>(messages));
}

void Probe::Batch(const storage::BatchStats& s) {
  batch_messages_->Observe(static_cast<double>(s.messages));
  write_seconds_->Observe(s.write_seconds);
  for (double q : s.queue_seconds) StageTime(Stage::kCommitQueue, q);
  StageTime(Stage::kCommitChecks, s.checks_seconds);
  StageTime(Stage::kCommitWrite, s.write_seconds);
  if (s.sync_seconds) StageTime(Stage::kCommitSync, *s.sync_seconds);
  StageTime(Stage::kCommitAnswerWait, s.answer_wait_seconds);
}

RecipientProbe* Probe::ForRecipient(const std::string& dip_id) {
  std::lock_guard lock(mu_);
  auto& slot = recipients_[dip_id];
  if (!slot) {
    slot = std::make_unique<RecipientProbe>();
    for (std::size_t i = 0; i < 7; ++i) {
      auto status = static_cast<storage::OutboundStatus>(i);
      slot->by_status[i] = &deliveries_->Add(
          {{"recipient", dip_id}, {"status", std::string(storage::OutboundStatusName(status))}});
    }
    slot->retries = &retries_->Add({{"recipient", dip_id}});
    slot->dead_letters = &dead_letters_->Add({{"recipient", dip_id}});
    slot->queue_depth = &queue_depth_->Add({{"recipient", dip_id}});
    slot->in_flight = &in_flight_->Add({{"recipient", dip_id}});
  }
  return slot.get();
}

void Probe::DeliveryLatency(std::string_view interface_id, double seconds) {
  if (auto i = dip::InterfaceIndex(interface_id)) latency_->At(*i).Observe(seconds);
}

void Probe::SetSlaPairs(const std::vector<std::string>& names) {
  sla_names_ = names;
  sla_by_pair_.clear();
  for (const std::string& n : names)
    sla_by_pair_.push_back(&sla_response_->Add({{"pair", n}}, kSlaBuckets));
}

void Probe::SlaResponse(std::size_t pair, double seconds) { sla_by_pair_[pair]->Observe(seconds); }

void Probe::SlaBreach(std::size_t pair, const std::string& participant) {
  std::lock_guard lock(mu_);
  auto& c = breaches_[{pair, participant}];
  if (c == nullptr) {
    c = &sla_breaches_->Add({{"pair", sla_names_[pair]}, {"participant", participant}});
  }
  c->Increment();
}

void Probe::StatusMessages(bool accepted, std::string_view code, std::size_t n) {
  std::lock_guard lock(mu_);  // a status message is rare next to sends: a map is fine
  auto& c = status_by_code_[{accepted, std::string(code)}];
  if (c == nullptr) {
    c = &status_messages_->Add(
        {{"result", accepted ? "accepted" : "rejected"}, {"code", std::string(code)}});
  }
  c->Increment(static_cast<double>(n));
}

void Probe::SetStorage(const StorageGauges& g) {
  sst_bytes_->Set(g.sst_bytes);
  memtable_bytes_->Set(g.memtable_bytes);
  pending_compaction_bytes_->Set(g.pending_compaction_bytes);
  message_log_bytes_->Set(g.message_log_bytes);
}

void Probe::SampleProcess() {
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  std::size_t close = text.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;) f.push_back(x);
  // f[0] is field 3 (state): utime = field 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  if (cpu > cpu_seen_) {
    cpu_seconds_->Increment(cpu - cpu_seen_);
    cpu_seen_ = cpu;
  }
  vm_bytes_->Set(std::stod(f[20]));
  rss_bytes_->Set(std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  std::ifstream boot("/proc/stat");
  for (std::string line; std::getline(boot, line);) {
    if (line.starts_with("btime ")) {
      start_time_->Set(std::stod(line.substr(6)) + std::stod(f[19]) / ticks);
      break;
    }
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  open_fds_->Set(fds);
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) max_fds_->Set(static_cast<double>(lim.rlim_cur));
}

void Probe::SetClusterLeader(bool leader) {
  if (cluster_leader_ == nullptr) cluster_leader_ = &cluster_leader_family_->Add({});
  cluster_leader_->Set(leader ? 1 : 0);
}

std::vector<std::string> Probe::FamilyNames() const { return names_; }

}  // namespace diphub::broker
