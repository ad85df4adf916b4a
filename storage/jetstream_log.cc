#include "storage/jetstream_log.h"

#include <nats/nats.h>

#include <algorithm>
#include <vector>

namespace diphub::storage::jetstream {
namespace {

std::string Describe(natsStatus s, int err) {
  std::string out = natsStatus_GetText(s);
  if (err != 0) out += " (JetStream error " + std::to_string(err) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') out += std::string(": ") + last;
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

}  // namespace

struct Log::Impl {
  JetStreamOptions options;
  natsOptions* nopts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsOptions jo{};

  ~Impl() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
    if (nopts != nullptr) natsOptions_Destroy(nopts);
  }

  std::string NotConnected() const {
    return "not connected to any of storage.jetstream.servers " + Join(options.servers) +
           " (reconnecting)";
  }

  std::string Where() const { return "stream " + options.stream + " on " + Join(options.servers); }

  dip::Status Connect() {
    std::vector<const char*> urls;
    for (const std::string& s : options.servers) urls.push_back(s.c_str());
    natsStatus s = natsOptions_Create(&nopts);
    if (s == NATS_OK) s = natsOptions_SetServers(nopts, urls.data(), static_cast<int>(urls.size()));
    if (s == NATS_OK) s = natsOptions_SetName(nopts, "diphub");
    if (s == NATS_OK) s = natsOptions_SetTimeout(nopts, options.ack_timeout_ms);
    // Once connected, reconnect forever (to any server of the list): a lost server fails calls
    // for a while (each bounded by ack_timeout_ms), it does not stop the hub.
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nopts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(nopts, 250);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(nopts, 2000);
    if (s != NATS_OK) return dip::Status::Io("jetstream: client options: " + Describe(s, 0));
    s = natsConnection_Connect(&nc, nopts);
    if (s != NATS_OK) {
      return dip::Status::Io("jetstream: cannot connect to storage.jetstream.servers " +
                             Join(options.servers) + ": " + Describe(s, 0));
    }
    jsOptions_Init(&jo);
    jo.Wait = options.ack_timeout_ms;
    s = natsConnection_JetStream(&js, nc, &jo);
    if (s != NATS_OK) return dip::Status::Io("jetstream: context: " + Describe(s, 0));
    return dip::Status::Ok();
  }

  dip::Status EnsureStream() {
    jsStreamInfo* si = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, js, options.stream.c_str(), &jo, &err);
    if (s == NATS_NOT_FOUND || err == JSStreamNotFoundErr) {
      jsStreamConfig sc;
      jsStreamConfig_Init(&sc);
      const char* subjects[] = {options.subject.c_str()};
      sc.Name = options.stream.c_str();
      sc.Subjects = subjects;
      sc.SubjectsLen = 1;
      sc.Storage = js_FileStorage;
      sc.Replicas = options.replicas;
      sc.MaxAge = options.max_age_seconds * 1000000000LL;  // nanoseconds
      sc.Discard = js_DiscardOld;
      err = static_cast<jsErrCode>(0);
      s = js_AddStream(&si, js, &sc, &jo, &err);
      if (s != NATS_OK) {
        return dip::Status::Io("jetstream: cannot create " + Where() + " (R" +
                               std::to_string(options.replicas) + ", subject " + options.subject +
                               "): " + Describe(s, err));
      }
      jsStreamInfo_Destroy(si);
      return dip::Status::Ok();
    }
    if (s != NATS_OK) {
      return dip::Status::Io("jetstream: cannot read " + Where() + ": " + Describe(s, err));
    }
    const jsStreamConfig* c = si->Config;
    std::vector<std::string> have;
    for (int i = 0; i < c->SubjectsLen; ++i) have.emplace_back(c->Subjects[i]);
    const std::int64_t replicas = c->Replicas;
    jsStreamInfo_Destroy(si);
    if (have != std::vector<std::string>{options.subject}) {
      return dip::Status::Config(
          "jetstream: stream " + options.stream + " exists with subjects " + Join(have) +
          ", but storage.jetstream.subject is " + options.subject +
          ": point storage.jetstream.stream at another stream or set the subject to match");
    }
    if (replicas != options.replicas) {
      return dip::Status::Config(
          "jetstream: stream " + options.stream + " exists with " + std::to_string(replicas) +
          " replicas, but " + "storage.jetstream.replicas is " + std::to_string(options.replicas) +
          ": change one of them (nats stream edit) so that they agree");
    }
    return dip::Status::Ok();
  }
};

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

dip::Result<std::unique_ptr<Log>> Log::Open(const JetStreamOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (dip::Status s = impl->Connect(); !s.ok()) return s;
  if (dip::Status s = impl->EnsureStream(); !s.ok()) return s;
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

dip::Result<Log::State> Log::GetState() {
  if (natsConnection_Status(impl_->nc) != NATS_CONN_STATUS_CONNECTED) {
    return dip::Status::Io("jetstream: " + impl_->NotConnected());
  }
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, impl_->js, impl_->options.stream.c_str(), &impl_->jo, &err);
  if (s != NATS_OK) {
    return dip::Status::Io("jetstream: cannot read " + impl_->Where() + ": " + Describe(s, err));
  }
  State st;
  st.first_seq = si->State.Msgs == 0 ? 0 : si->State.FirstSeq;
  st.last_seq = si->State.LastSeq;
  st.messages = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  return st;
}

Log::Published Log::Publish(std::string_view payload, std::uint64_t expect_last_seq,
                            const std::string& msg_id) {
  if (natsConnection_Status(impl_->nc) != NATS_CONN_STATUS_CONNECTED) {
    // Published now, it would wait in the client's reconnect buffer and might land later.
    return {PublishError::kNotSent, 0, false, impl_->NotConnected()};
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = impl_->options.ack_timeout_ms;
  po.ExpectStream = impl_->options.stream.c_str();
  po.ExpectLastSeq = expect_last_seq;
  // ExpectLastSeq 0 is "no expectation" to the client: an empty stream is fenced by
  // expecting no message on the subject instead.
  if (expect_last_seq == 0) po.ExpectNoMessage = true;
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&ack, impl_->js, impl_->options.subject.c_str(), payload.data(),
                            static_cast<int>(payload.size()), &po, &err);
  Published out;
  if (s == NATS_OK) {
    out.seq = ack->Sequence;
    out.duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
    return out;
  }
  out.detail = Describe(s, err);
  out.error = err == JSStreamWrongLastSequenceErr || err == JSStreamWrongLastMsgIDErr
                  ? PublishError::kFenced
                  : PublishError::kUncertain;
  return out;
}

dip::Status Log::Read(std::uint64_t from, std::uint64_t to,
                      const std::function<dip::Status(std::uint64_t, std::string_view)>& fn) {
  if (from > to) return dip::Status::Ok();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = impl_->options.stream.c_str();
  so.Ordered = true;  // an ephemeral consumer without acks, redelivered in order on gaps
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = from;
  natsSubscription* sub = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s =
      js_SubscribeSync(&sub, impl_->js, impl_->options.subject.c_str(), &impl_->jo, &so, &err);
  if (s != NATS_OK) {
    return dip::Status::Io("jetstream: cannot read " + impl_->Where() + " from sequence " +
                           std::to_string(from) + ": " + Describe(s, err));
  }
  natsSubscription_SetPendingLimits(sub, -1, -1);
  const std::int64_t wait_ms = std::max<std::int64_t>(impl_->options.ack_timeout_ms, 10000);
  dip::Status status = dip::Status::Ok();
  for (;;) {
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, wait_ms);
    if (s != NATS_OK) {
      status =
          dip::Status::Io("jetstream: reading " + impl_->Where() + " stopped before sequence " +
                          std::to_string(to) + ": " + Describe(s, 0));
      break;
    }
    jsMsgMetaData* meta = nullptr;
    s = natsMsg_GetMetaData(&meta, msg);
    if (s != NATS_OK) {
      natsMsg_Destroy(msg);
      status =
          dip::Status::Io("jetstream: a message without JetStream metadata: " + Describe(s, 0));
      break;
    }
    const std::uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    if (seq <= to) {
      status = fn(seq, std::string_view(natsMsg_GetData(msg),
                                        static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    }
    natsMsg_Destroy(msg);
    if (!status.ok() || seq >= to) break;
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return status;
}

std::size_t Log::max_payload() const {
  return static_cast<std::size_t>(natsConnection_GetMaxPayload(impl_->nc));
}

}  // namespace diphub::storage::jetstream
