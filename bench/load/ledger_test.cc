// The load generator's ledger: what it counts and where each latency goes. The figures of
// docs/performance.md come from it, so a latency filed in the wrong histogram is a wrong figure.
#include <gtest/gtest.h>

#include "bench/load/load.h"

namespace diphub::load {
namespace {

TEST(LedgerTest, WarmupLatenciesAreReportedApart) {
  Ledger ledger(/*messages=*/4, /*warmup=*/2);
  ledger.Sent(0, 2, ledger.Now());  // the warm-up request
  ledger.Sent(2, 2, ledger.Now());
  ledger.Acked(0, 2, 90'000);
  ledger.Acked(2, 2, 1'000);
  for (std::uint64_t seq = 0; seq < 4; ++seq) ledger.Delivered(seq);

  EXPECT_EQ(ledger.acked(), 4u);  // every message counts, warm-up or not
  EXPECT_EQ(ledger.delivered(), 4u);
  EXPECT_EQ(ledger.WarmupAckLatency().count(), 1u);
  EXPECT_EQ(ledger.WarmupAckLatency().max(), 90'000u);
  EXPECT_EQ(ledger.WarmupDeliveryLatency().count(), 2u);
  EXPECT_EQ(ledger.AckLatency().count(), 1u);
  EXPECT_EQ(ledger.AckLatency().max(), 1'000u);
  EXPECT_EQ(ledger.DeliveryLatency().count(), 2u);
  EXPECT_EQ(ledger.AckToDelivery().count(), 2u);
}

TEST(LedgerTest, WithoutWarmupEveryLatencyCounts) {
  Ledger ledger(/*messages=*/2);
  ledger.Sent(0, 2, ledger.Now());
  ledger.Acked(0, 2, 5'000);
  ledger.Delivered(0);
  ledger.Delivered(1);
  ledger.Delivered(1);  // a repeat

  EXPECT_EQ(ledger.AckLatency().count(), 1u);
  EXPECT_EQ(ledger.DeliveryLatency().count(), 2u);
  EXPECT_EQ(ledger.WarmupAckLatency().count(), 0u);
  EXPECT_EQ(ledger.WarmupDeliveryLatency().count(), 0u);
  EXPECT_EQ(ledger.duplicates(), 1u);
}

}  // namespace
}  // namespace diphub::load
