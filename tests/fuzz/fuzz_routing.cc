// libFuzzer target: a message array as a hostile registration service or SDS sends it, through
// what routing reads. Each message that parses has its routing facts extracted as every
// appointment-bearing interface would read them, and is routed against a small appointment map.
// Invariants: no crash; a refusal is a DIP MSG code with help; an accepted route names each
// recipient once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "dip/envelope.h"
#include "routing/facts.h"
#include "routing/router.h"

namespace {

using namespace diphub;

struct World {
  std::shared_ptr<const routing::Registry> registry;
  routing::Policy policy;
  routing::AppointmentMap map;
  routing::PartyTable parties;

  World() {
    std::vector<routing::Participant> ps;
    for (auto [id, role] : {std::pair{"1100000001", "SDS"}, std::pair{"1200000001", "MDR"},
                            std::pair{"1300000001", "SUP"}, std::pair{"1400000001", "REGS"}}) {
      routing::Participant p;
      p.dip_id = id;
      p.role = role;
      ps.push_back(p);
    }
    registry = routing::Registry::Build(ps).value();
    policy.pairings.emplace("1100000001", "1200000001");
    policy.opt_in.emplace("1200000001", "PUB-006");
    const std::uint64_t mpan = *routing::MpanKey("2000056535971");
    map.Apply(mpan, routing::Slot::kSupplier, parties.Intern("1300000001"), 1);
    map.Apply(mpan, routing::Slot::kDataService, parties.Intern("1100000001"), 1);
    map.Apply(mpan, routing::Slot::kMdr, parties.Intern("1200000001"), 1);
  }
};

void Check(const dip::Status& s) {
  if (s.code().size() != 7 || s.code().substr(0, 3) != "MSG" || s.help().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const std::string body(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  dip::ParsedArray parsed = dip::ParseMessageArray(body, &scratch);
  if (!parsed.status.ok()) return 0;
  static const std::pair<const char*, const char*> kReaders[] = {
      {"IF-001", "[ChangeOfSupplier]"}, {"IF-035", "[SDS-MDROutcome]"}, {"IF-036", "[DSAppActive]"},
      {"IF-036", "[MSAppActive]"},      {"IF-037", "[DSDeApp]"},        {"IF-037", "[MSDeApp]"},
      {"IF-061", "[MDRStart]"},         {"IF-063", "[MDRStop]"},        {"IF-006", "[MeterUpdate]"},
      {"IF-064", "[MDRConsumption]"}};
  const routing::RouteContext ctx{world.registry.get(), &world.policy, &world.map, &world.parties,
                                  20000};
  for (const dip::ParsedItem& item : parsed.items) {
    if (!item.status.ok()) continue;
    for (auto [iface, event] : kReaders) {
      dip::Result<routing::RoutingFacts> facts =
          routing::ExtractFacts(item.envelope.raw, iface, event);
      if (!facts.ok()) {
        Check(facts.status());
        continue;
      }
      dip::Result<routing::Route> r =
          routing::RouteMessage(item.envelope, iface, facts.value(), ctx);
      if (!r.ok()) {
        Check(r.status());
        continue;
      }
      std::set<std::string> seen;
      for (const routing::Recipient& to : r.value().recipients) {
        if (!seen.insert(to.dip_id).second) std::abort();
      }
    }
  }
  return 0;
}
