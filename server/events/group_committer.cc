#include "server/events/group_committer.h"
#include "server/common/thread_name.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "server/observability/metrics.h"
#include "spdlog/spdlog.h"

namespace triggerfish::server::events {

GroupCommitter::GroupCommitter(store::Store* store, int max_batch, observability::Metrics* metrics)
    : store_(store),
      max_batch_(max_batch),
      metrics_(metrics),
      thread_([this] { Loop(); }),
      reply_thread_([this] { ReplyLoop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(reply_mu_);
    reply_stopping_ = true;
  }
  reply_cv_.notify_all();
  reply_thread_.join();
}

void GroupCommitter::Submit(store::EventCommit commit, Done done) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(commit), std::move(done)});
    // The committer waits for the first event, or lingers for a fuller
    // batch: wake it for the first and when the batch is full enough, not
    // for every event in between (each wake-up is a futex call here and a
    // context switch there).
    wake = queue_.size() == 1 || static_cast<int>(queue_.size()) == LingerTarget();
  }
  if (wake) cv_.notify_one();
}

int GroupCommitter::LingerTarget() const { return std::max(1, max_batch_ / 8); }

int64_t GroupCommitter::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

int64_t GroupCommitter::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

void GroupCommitter::Loop() {
  NameThisThread("tf-commit");
  while (true) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Under concurrent load (the previous batch had company), linger
      // briefly while more events are on their way: a fuller batch costs
      // one transaction instead of several. A lone caller does not wait.
      if (!stopping_ && last_batch_ > 1 && static_cast<int>(queue_.size()) < LingerTarget()) {
        cv_.wait_for(lock, std::chrono::microseconds(500), [&] {
          return stopping_ || static_cast<int>(queue_.size()) >= LingerTarget();
        });
      }
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<store::EventCommit*> commits;
    commits.reserve(batch.size());
    for (auto& item : batch) commits.push_back(&item.commit);
    const auto start = std::chrono::steady_clock::now();
    std::vector<store::CommitOutcome> outcomes = store_->CommitEvents(commits);
    if (!outcomes.empty() && !outcomes.front().status.ok()) {
      // The store fails a batch as a whole: one line for all its events.
      spdlog::error("{} event(s) refused: {}", outcomes.size(),
                    std::string(outcomes.front().status.message()));
    }
    if (metrics_ != nullptr) {
      metrics_->CommitDone(
          batch.size(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    {
      std::lock_guard lock(mu_);
      ++batches_;
      events_ += static_cast<int64_t>(batch.size());
      last_batch_ = batch.size();
    }
    {
      std::lock_guard lock(reply_mu_);
      replies_.push_back({std::move(batch), std::move(outcomes)});
    }
    reply_cv_.notify_one();
  }
}

void GroupCommitter::ReplyLoop() {
  NameThisThread("tf-reply");
  while (true) {
    Committed committed;
    {
      std::unique_lock lock(reply_mu_);
      reply_cv_.wait(lock, [&] { return reply_stopping_ || !replies_.empty(); });
      if (replies_.empty()) return;  // stopping and drained
      committed = std::move(replies_.front());
      replies_.pop_front();
    }
    for (size_t i = 0; i < committed.items.size(); ++i) {
      committed.items[i].done(std::move(committed.outcomes[i]));
    }
  }
}

}  // namespace triggerfish::server::events
