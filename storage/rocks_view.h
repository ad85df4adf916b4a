// The RocksDB store as the local view of a replicated log (storage.engine: jetstream). Internal
// to storage/: the hub sees Store.
//
// A view is an ordinary RocksDB store (same layout, rocks_layout.h) whose every write can also
// record how far the log has been applied, in the same atomic WriteBatch: so after a crash the
// view's contents and its log position always agree, and replay resumes exactly after the last
// applied mutation (storage/jetstream_store.cc).
#pragma once

#include <memory>
#include <string>

#include "storage/store.h"

namespace diphub::storage {

class RocksView : public Store {
 public:
  // Until the next call, every write also puts `value` under meta key `key` (GetMeta) in its
  // WriteBatch. An empty key stops it.
  // REQUIRES: no write runs concurrently with this call (the view has one writing thread).
  virtual void SetWriteMarker(std::string key, std::string value) = 0;
};

// OpenRocksStore (store.h), as a RocksView.
dip::Result<std::unique_ptr<RocksView>> OpenRocksView(const std::string& dir,
                                                      const StoreOptions& options);

}  // namespace diphub::storage
