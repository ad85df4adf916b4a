// A minimal streaming JSON writer for the few documents the hub produces itself
// (StandardResponse, the A0/D0 blocks it adds, admin answers). Parsing is simdjson's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace diphub::dip {

// Appends `s` as a JSON string literal (quoted, escaped) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view v);
  JsonWriter& OptString(const std::optional<std::string>& v);  // null when empty
  JsonWriter& Null();
  JsonWriter& Bool(bool v);
  JsonWriter& Int(long long v);
  JsonWriter& Raw(std::string_view json);  // an already-encoded JSON value
  void Reserve(std::size_t bytes) { out_.reserve(bytes); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Comma();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace diphub::dip
