// A small synchronous JetStream client for the cluster tests (libnats): connects to every URL
// given (reconnecting quickly to a survivor when a node dies), adds streams, publishes and
// waits for the PubAck, reads a stream back. Not thread-safe beyond what libnats is: one test
// thread publishes while another may only read error().
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace diphub::testing {

class NatsTestClient {
 public:
  explicit NatsTestClient(const std::string& url_list);
  ~NatsTestClient();
  NatsTestClient(const NatsTestClient&) = delete;
  NatsTestClient& operator=(const NatsTestClient&) = delete;

  bool ok() const { return js_ != nullptr; }
  std::string error() const { return error_; }

  bool AddStream(const std::string& name, const std::string& subject, int replicas);
  // The server_name of the stream's leader ("" when unknown).
  std::string StreamLeader(const std::string& stream);
  // Publishes and waits up to 2 s for the PubAck; true when acknowledged.
  bool Publish(const std::string& subject, const std::string& payload);
  // Every message body in the stream; `not_found`, when given, gets the sequences between the
  // stream's first and last that the server answered "not found" (none in a stream nothing
  // deletes from).
  bool ReadAll(const std::string& stream, std::set<std::string>* out,
               std::vector<std::uint64_t>* not_found = nullptr);

 private:
  bool Fail(const std::string& what, natsStatus s);
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string error_;
};

}  // namespace diphub::testing
