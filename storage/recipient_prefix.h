// The recipient part of a recipient-keyed column family's key (recipient \0 seq: published,
// deliveries, outbox, dead letters; rocks_layout.h), for RocksDB's memtable insert hints
// (ColumnFamilyOptions::memtable_insert_with_hint_prefix_extractor): the memtable keeps the
// last insert position of each prefix, and a recipient's keys arrive in seq order, so each is
// put next to the previous one instead of searched for from the top of the skip list. Only
// memtable inserts use it: nothing of it is written to the store's files, so a store opens the
// same with or without it.
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <rocksdb/slice_transform.h>

#include <memory>

namespace diphub::storage {

// Keys without a \0 (a cursor's key, a bare recipient) are outside its domain and are inserted
// without a hint.
std::shared_ptr<const rocksdb::SliceTransform> RecipientPrefix();

}  // namespace diphub::storage
