#include "broker/adapter.h"

#include <map>
#include <mutex>

namespace diphub::broker {
namespace {

struct Table {
  std::mutex mu;
  std::map<std::string, AdapterFactory, std::less<>> factories;
  std::vector<std::string> duplicates;
};

Table& GetTable() {
  static Table* table = new Table();  // never destroyed: registration runs in static init
  return *table;
}

}  // namespace

bool AdapterRegistry::Register(std::string name, AdapterFactory factory) {
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  if (t.factories.contains(name)) {
    t.duplicates.push_back(std::move(name));
    return false;
  }
  t.factories.emplace(std::move(name), std::move(factory));
  return true;
}

dip::Status AdapterRegistry::CheckUnique() {
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  if (t.duplicates.empty()) return dip::Status::Ok();
  std::string names;
  for (const std::string& n : t.duplicates) names += (names.empty() ? "\"" : ", \"") + n + "\"";
  return dip::Status::Config("adapters: " + names +
                             " registered more than once (two DIPHUB_REGISTER_ADAPTER with one "
                             "name); refusing to start");
}

const AdapterFactory* AdapterRegistry::Find(std::string_view name) {
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  auto it = t.factories.find(name);
  return it == t.factories.end() ? nullptr : &it->second;
}

std::vector<std::string> AdapterRegistry::Names() {
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  std::vector<std::string> out;
  for (const auto& [name, f] : t.factories) out.push_back(name);
  return out;
}

}  // namespace diphub::broker
