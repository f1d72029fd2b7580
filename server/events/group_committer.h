#pragma once

// Group commit: events published concurrently are committed together, in
// one transaction and one fsync, by a single committer thread. Throughput is
// then bounded by how many events fit in a batch, not by the disk's fsync
// rate; a slow disk shows up as latency.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "server/store/store.h"

namespace triggerfish::server::events {

class GroupCommitter {
 public:
  using Done = std::function<void(store::CommitOutcome)>;

  // `store` must outlive the committer.
  GroupCommitter(store::Store* store, int max_batch);
  // Commits everything submitted, then stops.
  ~GroupCommitter();

  // Queues `commit`; `done` runs on the committer thread once it is durable
  // (or failed). Commits are applied in submission order.
  void Submit(store::EventCommit commit, Done done);

  // Batches (transactions) and events committed so far.
  int64_t batches() const;
  int64_t events() const;

 private:
  struct Item {
    store::EventCommit commit;
    Done done;
  };
  void Loop();

  store::Store* store_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  int64_t batches_ = 0;
  int64_t events_ = 0;
  size_t last_batch_ = 0;
  std::thread thread_;
};

}  // namespace triggerfish::server::events
