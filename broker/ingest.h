// The ingest pipeline, transport-neutral: authenticate, parse, level-1 checks, route, then hand
// the whole send to the group committer and answer once it is durable.
//
//   adapter thread:    channel -> API key -> ParseMessageArray -> CheckEnvelope -> registry
//                      checks -> Route -> GroupCommitter::Submit
//   committer thread:  duplicate check -> WriteBatch + fsync -> answer -> delivery hand-off
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "broker/hub_api.h"
#include "broker/probe.h"
#include "broker/sla.h"
#include "routing/registry.h"
#include "storage/group_commit.h"

namespace diphub::broker {

class Ingest {
 public:
  using RegistryFn = std::function<std::shared_ptr<const routing::Registry>()>;
  using CommittedFn = std::function<void(const std::vector<storage::MessageRecord>&)>;

  // All pointers must outlive the Ingest; `sla` may be null. `on_committed` runs on the
  // committer thread.
  Ingest(const HubSettings* settings, RegistryFn registry, storage::GroupCommitter* committer,
         Probe* probe, SlaTracker* sla, CommittedFn on_committed);

  // Safe from any thread; `done` runs exactly once (on this thread for an early rejection, on
  // the committer thread otherwise).
  void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done);

 private:
  const HubSettings* settings_;
  RegistryFn registry_;
  storage::GroupCommitter* committer_;
  Probe* probe_;
  SlaTracker* sla_;
  CommittedFn on_committed_;
};

}  // namespace diphub::broker
