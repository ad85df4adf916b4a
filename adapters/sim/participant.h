// One simulated participant's behaviour, free of I/O so that it can be tested alone: what it
// answers to a delivered message, what its schedule sends, and the draws of its rates.
//   MDR  — answers IF-061 with IF-062 (accept, or reject by rule: another MDR named, an MPAN it
//          does not serve, an MPAN in reject_mpans, or at random with reject_rate); collects
//          the accepted MPANs (IF-064 on its schedule) until IF-063 stops them; answers an
//          IF-065 reading request with an IF-065 reading.
//   SDS  — acknowledges everything; notes which MPANs an MDR collects for it (IF-062 accept)
//          and answers an IF-065 reading request.
//   REGS — at start, publishes PUB-036 appointing appoint_ds and appoint_mdr to its MPANs.
// Thread-safety: none; the sim adapter calls it on its one I/O thread.
#pragma once

#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "adapters/sim/config.h"
#include "adapters/sim/messages.h"

namespace diphub::adapters::sim {

class SimParticipant {
 public:
  // `mpid_of` gives a registered participant's MPID ("" if unknown).
  SimParticipant(SimParticipantConfig config, std::uint64_t seed, std::string role,
                 std::function<std::string(std::string_view)> mpid_of);

  const SimParticipantConfig& config() const { return config_; }
  const std::string& dip_id() const { return config_.dip_id; }
  const std::string& role() const { return role_; }

  // The messages to send in answer to `m`, delivered at `now`.
  std::vector<Outgoing> OnReceived(const Received& m, dip::Clock::time_point now);
  // MDR: one IF-064 per MPAN collected (yesterday's consumption).
  std::vector<Outgoing> Consumption(dip::Clock::time_point now) const;
  // REGS: the start-up appointments.
  std::vector<Outgoing> Appointments(dip::Clock::time_point now) const;

  // A message of `interface_id` from this participant, built from the scenario's fields: the
  // custom block the interface needs (unless `custom_block` is given), addressed to
  // `recipients`. Interfaces: IF-035, IF-036, IF-037, IF-061..IF-065.
  dip::Result<Outgoing> Compose(const std::string& interface_id, const std::string& event,
                                const std::string& mpan, std::vector<std::string> recipients,
                                const std::string& response_code, const std::string& custom_block,
                                dip::Clock::time_point now) const;

  // True inside an outage window, `since_start` after the adapter started.
  bool InOutage(std::chrono::milliseconds since_start) const;
  // Draws whether the next message sent is malformed (malformed_rate).
  bool DrawMalformed();
  // MPAN -> the SDS it is collected for (MDR) or by (SDS).
  const std::map<std::string, std::string>& collecting() const { return collecting_; }

 private:
  Outgoing Base(const std::string& interface_id, const std::string& event, const std::string& mpan,
                std::vector<std::string> recipients) const;
  Outgoing AnswerMdrStart(const Received& m);
  Party Self() const { return {config_.dip_id, mpid_of_(config_.dip_id)}; }
  bool Draw(double rate);

  SimParticipantConfig config_;
  std::string role_;
  std::function<std::string(std::string_view)> mpid_of_;
  std::mt19937_64 rng_;
  std::map<std::string, std::string> collecting_;
};

}  // namespace diphub::adapters::sim
