#pragma once

// Group commit: events published concurrently are committed together, in
// one transaction and one fsync, by a single committer thread. Throughput is
// then bounded by how many events fit in a batch, not by the disk's fsync
// rate; a slow disk shows up as latency. A second thread answers a committed
// batch (and frees it) while the committer starts on the next one.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "server/store/store.h"

namespace triggerfish::server::observability {
class Metrics;
}

namespace triggerfish::server::events {

class GroupCommitter {
 public:
  using Done = std::function<void(store::CommitOutcome)>;

  // `store` (and `metrics`, which may be null) must outlive the committer.
  GroupCommitter(store::Store* store, int max_batch, observability::Metrics* metrics = nullptr);
  // Commits everything submitted, then stops.
  ~GroupCommitter();

  // Queues `commit`; `done` runs on the reply thread once it is durable (or
  // failed). Commits are applied, and answered, in submission order.
  void Submit(store::EventCommit commit, Done done);

  // Batches (transactions) and events committed so far.
  int64_t batches() const;
  int64_t events() const;

 private:
  struct Item {
    store::EventCommit commit;
    Done done;
  };
  struct Committed {
    std::vector<Item> items;
    std::vector<store::CommitOutcome> outcomes;
  };
  void Loop();
  void ReplyLoop();
  // Queued events the committer lingers for under concurrent load.
  int LingerTarget() const;

  store::Store* store_;
  const int max_batch_;
  observability::Metrics* const metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  int64_t batches_ = 0;
  int64_t events_ = 0;
  size_t last_batch_ = 0;

  std::mutex reply_mu_;
  std::condition_variable reply_cv_;
  std::deque<Committed> replies_;
  bool reply_stopping_ = false;

  std::thread thread_;
  std::thread reply_thread_;
};

}  // namespace triggerfish::server::events
