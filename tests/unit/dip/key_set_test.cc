// KeySet: a field name given twice in one object, compared case-insensitively, both in the
// inline array of small objects and in the ordered set past 16 names.
#include "dip/key_set.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace diphub::dip {
namespace {

TEST(KeySetTest, SmallObjectsFindARepeatInAnyCase) {
  KeySet keys;
  EXPECT_TRUE(keys.Insert("MPANCore"));
  EXPECT_TRUE(keys.Insert("MPAN"));  // a prefix is another name
  EXPECT_TRUE(keys.Insert("MPANCore2"));
  EXPECT_FALSE(keys.Insert("mpancore"));
  EXPECT_FALSE(keys.Insert("MPAN"));
}

TEST(KeySetTest, ManyNamesStayExactPastTheInlineArray) {
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back("Field" + std::to_string(i));
  // Names that differ only in characters next to the letters in ASCII ('@', '[', '`', '{'),
  // which a case fold must not merge.
  for (const char* odd : {"a@", "a[", "a`", "a{", "A_", "a_"}) names.emplace_back(odd);
  KeySet keys;
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    EXPECT_TRUE(keys.Insert(names[i])) << names[i];
  }
  EXPECT_FALSE(keys.Insert(names.back())) << "a_ repeats A_";
  EXPECT_FALSE(keys.Insert("FIELD7"));
  EXPECT_FALSE(keys.Insert("field1999"));
  EXPECT_TRUE(keys.Insert("Field2000"));
  EXPECT_FALSE(keys.Insert("fIELD2000"));
}

}  // namespace
}  // namespace diphub::dip
