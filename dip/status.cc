#include "dip/status.h"

#include "dip/codes.h"

namespace diphub::dip {

std::string Status::ToString() const {
  if (ok()) return "OK";
  if (!IsDip()) return std::string(code_) + ": " + help_;
  std::string out = CodeMessage(code_);
  if (!help_.empty()) out += ": " + help_;
  return out;
}

}  // namespace diphub::dip
