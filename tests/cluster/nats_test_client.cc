#include "tests/cluster/nats_test_client.h"

#include <algorithm>
#include <vector>

namespace diphub::testing {

NatsTestClient::NatsTestClient(const std::string& url_list) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<std::string> urls;
  for (std::size_t at = 0; at <= url_list.size();) {
    std::size_t comma = std::min(url_list.find(',', at), url_list.size());
    urls.push_back(url_list.substr(at, comma - at));
    at = comma + 1;
  }
  std::vector<const char*> servers;
  for (const std::string& u : urls) servers.push_back(u.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 50);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    Fail("connect to " + url_list, s);
    return;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (s = natsConnection_JetStream(&js_, nc_, &jo); s != NATS_OK) Fail("JetStream context", s);
}

NatsTestClient::~NatsTestClient() {
  jsCtx_Destroy(js_);
  natsConnection_Destroy(nc_);
}

bool NatsTestClient::Fail(const std::string& what, natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  error_ =
      what + ": " + natsStatus_GetText(s) + (text != nullptr ? std::string(" (") + text + ")" : "");
  return false;
}

bool NatsTestClient::AddStream(const std::string& name, const std::string& subject, int replicas) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  const char* subjects[] = {subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
  jsStreamInfo_Destroy(si);
  return s == NATS_OK || Fail("add stream " + name, s);
}

std::string NatsTestClient::StreamLeader(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  std::string leader;
  if (js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &jerr) == NATS_OK &&
      si->Cluster != nullptr && si->Cluster->Leader != nullptr) {
    leader = si->Cluster->Leader;
  }
  jsStreamInfo_Destroy(si);
  return leader;
}

bool NatsTestClient::Publish(const std::string& subject, const std::string& payload) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 2000;
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&ack, js_, subject.c_str(), payload.data(),
                            static_cast<int>(payload.size()), &po, &jerr);
  jsPubAck_Destroy(ack);
  return s == NATS_OK;
}

bool NatsTestClient::ReadAll(const std::string& stream, std::set<std::string>* out,
                             std::vector<std::uint64_t>* not_found) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsStatus::NATS_ERR;
  for (int attempt = 0; attempt < 50 && s != NATS_OK; ++attempt) {  // while a leader is elected
    s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &jerr);
    if (s != NATS_OK) nats_Sleep(200);
  }
  if (s != NATS_OK) return Fail("stream info " + stream, s);
  const std::uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  for (std::uint64_t seq = first; seq <= last && first > 0; ++seq) {
    natsMsg* msg = nullptr;
    s = js_GetMsg(&msg, js_, stream.c_str(), seq, nullptr, &jerr);
    for (int attempt = 0; attempt < 50 && s != NATS_OK && s != NATS_NOT_FOUND; ++attempt) {
      nats_Sleep(200);  // a stream leader being elected after a node was killed
      s = js_GetMsg(&msg, js_, stream.c_str(), seq, nullptr, &jerr);
    }
    if (s == NATS_NOT_FOUND) {
      if (not_found != nullptr) not_found->push_back(seq);
      continue;
    }
    if (s != NATS_OK) return Fail("get message " + std::to_string(seq), s);
    out->emplace(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    natsMsg_Destroy(msg);
  }
  return true;
}

}  // namespace diphub::testing
