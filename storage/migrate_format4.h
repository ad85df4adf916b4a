// Converts a store of format "diphub-store-4" (seven keys per message: dedupe, references,
// Inbound and Addressing journal rows, an outbox entry per pending delivery) to the current
// layout (rocks_layout.h). Internal to storage/; run by OpenRocksStore.
#pragma once

#include <rocksdb/db.h>

#include <cstddef>
#include <functional>
#include <vector>

#include "dip/status.h"

namespace diphub::storage {

// How the migration writes. The defaults are what OpenRocksStore uses.
struct MigrationOptions {
  // A write batch is written once it holds this many bytes, so a store of any size migrates in
  // bounded memory (one batch for the whole store would hold ~100 bytes per message).
  std::size_t batch_bytes = 8u << 20;
  // Tests only: called after each batch is written with the number written so far; returning
  // false stops the migration there, as a crash would.
  std::function<bool(int written)> after_write;
};

// `handles` are the current layout's column families (layout::Cf order); `dedupe` and
// `references` the format-4 ones. Writes, in this order:
//   1. a cursor per recipient (just before its oldest pending publication, or its newest
//      publication when none is pending), from the untouched outbox, with a marker key, fsync'd;
//   2. a byref key per message (from the message itself);
//   3. deletes of the Inbound and Addressing journal rows (now derived);
//   4. deletes of the outbox entries the cursors now cover (all but requeues);
//   5. the format key set to the current format and the marker removed, fsync'd.
// Steps 2-4 are written in batches of `batch_bytes` and are idempotent, and step 1 is skipped
// when its marker is there: a migration stopped anywhere (a crash, a full disk) leaves format 4
// in place, and the next open runs it again to the same result. The two old column families are
// dropped afterwards; a crash in between leaves them to the next open, which drops them.
// REQUIRES: nothing else writes to `db` meanwhile.
dip::Status MigrateFormat4(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                           rocksdb::ColumnFamilyHandle* dedupe,
                           rocksdb::ColumnFamilyHandle* references,
                           const MigrationOptions& options = {});

}  // namespace diphub::storage
