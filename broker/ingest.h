// The ingest pipeline, transport-neutral: authenticate, parse, level-1 checks, route on the
// owning shards, then hand the whole send to the group committer and answer once it is durable.
//
//   adapter thread:    channel -> API key -> ParseMessageArray (one walk per message:
//                      structure, envelope, level-1 rules, schema) -> registry checks -> one
//                      routing task per shard owning any of the messages
//   shard threads:     routing facts -> RouteMessage against the shard's appointments; the
//                      last shard to finish hands the send to GroupCommitter::Submit
//   committer thread:  duplicate check -> WriteBatch + fsync -> appointment changes to their
//                      shards -> answer -> delivery hand-off
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/hub_api.h"
#include "broker/probe.h"
#include "broker/routing_shards.h"
#include "broker/sla.h"
#include "dip/envelope.h"
#include "routing/registry.h"
#include "routing/router.h"
#include "storage/group_commit.h"

namespace diphub::broker {

class Ingest {
 public:
  using RegistryFn = std::function<std::shared_ptr<const routing::Registry>()>;
  using CommittedFn = std::function<void(const std::vector<storage::MessageRecord>&)>;

  // All pointers must outlive the Ingest; `sla` may be null. `on_committed` runs on the
  // committer thread.
  Ingest(const HubSettings* settings, RegistryFn registry, RoutingShards* shards,
         storage::GroupCommitter* committer, Probe* probe, SlaTracker* sla,
         CommittedFn on_committed);

  // Safe from any thread; `done` runs exactly once (on this thread for an early rejection, on
  // the committer thread otherwise).
  void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done);

  // POST /validate/{id}/{event}: the level-1 checks of a send on one message, nothing stored,
  // as the DIP's debugging endpoint judges them: the envelope, the event's schema and the
  // sender's identity (registered DIP ID and role, API key, connection provider). `event` is the
  // event code from the URL, with or without its brackets. The answer's body is a JSON string:
  // "MSG0000 - Success" (kAccepted), or the code, title and help (kRejected). Routing state
  // (appointments, recipients, the publication table) does not change the verdict: the message
  // is routed on its shard as a send would be, nothing applied, and the outcome is returned in
  // SubmitResponse::routing.
  SubmitResponse Validate(const SubmitRequest& request, std::string_view event);

 private:
  struct Checked {
    std::string scratch;
    dip::ParsedArray parsed;
    std::shared_ptr<const routing::Registry> registry;
    std::vector<dip::Status> verdicts;
    std::vector<routing::Route> routes;
    std::size_t failures = 0;
  };
  struct Job;
  // Authentication, parsing, level-1 and registry checks. Returns the answer when the send is
  // refused as a whole; otherwise `out` holds a verdict per message.
  std::optional<SubmitResponse> Check(const SubmitRequest& request, std::string_view iface,
                                      Checked* out);
  // Routes every message of `job` on its owning shard, then calls job->finish on the thread of
  // the last shard to finish (or on this thread when no routing task could be queued).
  void RouteAll(const std::shared_ptr<Job>& job);
  // Answers a send refused at level 1 or by routing, or hands a routed one to the committer.
  void Finish(Job& job, std::function<void(SubmitResponse)> done);
  // The StandardResponseArray of an array refused with `failures` failing messages; logs once.
  std::string RenderRejection(Job& job, std::size_t failures);

  // Messages of a refused array that get an item of their own in the response.
  static constexpr std::size_t kMaxReportedItems = 100;

  const HubSettings* settings_;
  RegistryFn registry_;
  RoutingShards* shards_;
  storage::GroupCommitter* committer_;
  Probe* probe_;
  SlaTracker* sla_;
  CommittedFn on_committed_;
};

}  // namespace diphub::broker
