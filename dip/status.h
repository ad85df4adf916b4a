// Errors as values. A Status is either OK or carries a DIP response code (MSG1001, RCP1064, ...)
// with a help text that names the field and the rule, e.g.
//   S1.senderTimestamp: expected YYYY-MM-DDThh:mm:ss±hh:mm, got "2025-01-01T00:00:00Z"
// Codes outside the DIP's table (configuration and I/O errors) use kConfig / kIo.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace diphub::dip {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  // A rejection with one of the DIP's codes; `code` must be a literal from codes.h.
  static Status Dip(std::string_view code, std::string help) {
    return Status(code, std::move(help));
  }
  static Status Config(std::string help) { return Status(kConfigCode, std::move(help)); }
  static Status Io(std::string help) { return Status(kIoCode, std::move(help)); }

  bool ok() const { return code_.empty(); }
  std::string_view code() const { return code_; }
  const std::string& help() const { return help_; }
  bool IsDip() const { return !ok() && code_ != kConfigCode && code_ != kIoCode; }
  // "MSG1001 - Schema Failure: <help>" or "config: <help>".
  std::string ToString() const;

  static constexpr std::string_view kConfigCode = "config";
  static constexpr std::string_view kIoCode = "io";

 private:
  Status(std::string_view code, std::string help) : code_(code), help_(std::move(help)) {}
  std::string_view code_;  // points at a static literal
  std::string help_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace diphub::dip
