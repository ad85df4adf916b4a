#include "dip/pattern_match.h"

#include <vector>

#include "dip/catalogue_data.h"

namespace diphub::dip {
namespace gen = generated;
namespace {

// One pattern: rows of class_count entries; a state is the offset of its row (state *
// class_count), 0 the dead state, as in the generated table.
struct Dfa {
  const std::uint8_t* byte_class = nullptr;
  std::vector<std::uint32_t> next;   // next[row + class]: the target's row offset
  std::vector<std::uint8_t> accept;  // accept[row / class_count], stored at the row's offset
  std::uint32_t start = 0;           // the start state's row offset
};

std::vector<Dfa> Build() {
  std::vector<Dfa> out(gen::kPatternCount);
  for (std::size_t i = 0; i < gen::kPatternCount; ++i) {
    const gen::PatternRow& p = gen::kPatterns[i];
    Dfa& d = out[i];
    d.byte_class = p.byte_class;
    const std::size_t cells = static_cast<std::size_t>(p.state_count) * p.class_count;
    d.next.resize(cells);
    d.accept.assign(cells, 0);
    for (std::size_t c = 0; c < cells; ++c) d.next[c] = p.next[c] * p.class_count;
    for (std::uint32_t s = 0; s < p.state_count; ++s) d.accept[s * p.class_count] = p.accept[s];
    d.start = p.start * p.class_count;
  }
  return out;
}

}  // namespace

bool MatchesPattern(std::int16_t pattern, std::string_view s) {
  static const std::vector<Dfa> kDfas = Build();
  const Dfa& d = kDfas[static_cast<std::size_t>(pattern)];
  const std::uint32_t* next = d.next.data();
  const std::uint8_t* cls = d.byte_class;
  std::uint32_t row = d.start;
  for (unsigned char c : s) {
    row = next[row + cls[c]];
    if (row == 0) return false;
  }
  return d.accept[row] != 0;
}

}  // namespace diphub::dip
