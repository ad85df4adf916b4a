#include "dip/codes.h"

#include "dip/catalogue_data.h"

namespace diphub::dip {

std::string_view CodeTitle(std::string_view code) {
  for (std::size_t i = 0; i < generated::kCodeCount; ++i) {
    if (generated::kCodes[i].code == code) return generated::kCodes[i].title;
  }
  return {};
}

std::string CodeMessage(std::string_view code) {
  std::string out(code);
  std::string_view title = CodeTitle(code);
  if (!title.empty()) {
    out += " - ";
    out += title;
  }
  return out;
}

}  // namespace diphub::dip
