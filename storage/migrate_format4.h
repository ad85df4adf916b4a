// Converts a store of format "diphub-store-4" (seven keys per message: dedupe, references,
// Inbound and Addressing journal rows, an outbox entry per pending delivery) to the current
// layout (rocks_layout.h). Internal to storage/; run by OpenRocksStore.
#pragma once

#include <rocksdb/db.h>

#include <vector>

#include "dip/status.h"

namespace diphub::storage {

// `handles` are the current layout's column families (layout::Cf order); `dedupe` and
// `references` the format-4 ones. In one atomic, fsync'd write: a byref key per message (from
// the message itself), a cursor per recipient (just before its oldest pending publication,
// or its newest publication when none is pending), the outbox reduced to its explicit entries
// (requeues), the Inbound and Addressing journal rows removed (now derived), and the format key
// set to the current format. The two old column families are dropped afterwards; a crash in
// between leaves them to the next open, which drops them.
// REQUIRES: nothing else writes to `db` meanwhile.
dip::Status MigrateFormat4(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                           rocksdb::ColumnFamilyHandle* dedupe,
                           rocksdb::ColumnFamilyHandle* references);

}  // namespace diphub::storage
