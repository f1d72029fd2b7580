// Durable event publishing under load: EventService.PublishEvent (unary) and
// EventService.PublishEvents (bidi stream) against 100 rules with inline
// actions, each as a ratio to the trivial grpc.health.v1.Health/Check served
// by the same server in the same run, with the group commit's fsync count.
//
// Starts the real server in-process (Server::Start on 127.0.0.1:0, SQLite
// store in a fresh temporary directory: WAL, synchronous=FULL, so every
// commit is fsync'd; the bundled plugins), creates 100 rules through
// RuleService.CreateRule (98 of bench/rule_mix.h, each given a ticket.add_tags
// or ticket.set_fields action, plus two broad rules that fire often), then
// measures for --seconds each (after a 0.5 s warm-up):
//
//   1. Health/Check: --threads client threads over --channels channels
//      (local subchannel pools: one HTTP/2 connection each), blocking unary
//      calls back to back;
//   2. PublishEvent: the same threads and channels, each call a fresh event
//      id (ticket.created / ticket.updated) on one of --tickets ticket ids;
//   3. PublishEvents: --streams streams (one per channel, round robin), each
//      with a writer thread keeping --window events in flight and a reader
//      thread taking the acks; latency is from write to ack.
//
// Prints events (calls)/s, p50/p99 latency, the ratios PublishEvent / Check
// and stream / unary, and fsyncs per 1,000 events (group commit transactions
// per committed event) for each publish phase.
//
//   build/bench/publish_bench [--seconds 5] [--threads 64] [--channels 8]
//                             [--streams 8] [--window 64] [--tickets 10000]
//
// Client and server share the machine's cores: absolute figures are those of
// a loaded box; the ratios are what to compare.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <semaphore>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <CLI/CLI.hpp>

#include "bench/rule_mix.h"
#include "bench/temp_dir.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "triggerfish/v1/event_service.grpc.pb.h"
#include "triggerfish/v1/execution_service.grpc.pb.h"
#include "triggerfish/v1/rule_service.grpc.pb.h"

namespace triggerfish::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRuleCount = 100;
constexpr int kTemplateEvents = 512;
// Events occur from 2026-03-03T00:00:00Z on, one millisecond apart, after
// every timestamp of the mix's tickets: a ticket's snapshot moves forward.
constexpr int64_t kFirstOccurredAt = 1772496000;

struct Options {
  double seconds = 5;
  int threads = 64;
  int channels = 8;
  int streams = 8;
  int window = 64;
  int tickets = 10000;
};

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("triggerfish.bench.channel", index);
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// User + system CPU time of the whole process (server and client).
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time (user + system) and context switches (voluntary + involuntary)
// of this process's threads, summed by thread name into the server's threads
// (tf-cycle, tf-commit, tf-reply), gRPC's callback threads and the rest (the
// client's threads and gRPC's own).
struct ThreadCpu {
  struct Group {
    double seconds = 0;
    int64_t switches = 0;
    Group operator-(const Group& o) const { return {seconds - o.seconds, switches - o.switches}; }
  };
  Group cycle, commit, reply, grpc_callbacks, rest;

  static ThreadCpu Read() {
    ThreadCpu cpu;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
      std::ifstream in(entry.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const size_t open = stat.find('('), close = stat.rfind(')');
      if (open == std::string::npos || close == std::string::npos) continue;
      const std::string name = stat.substr(open + 1, close - open - 1);
      // Fields after the name: state is field 3; utime and stime are 14 and 15.
      std::istringstream fields(stat.substr(close + 2));
      std::string skip;
      for (int i = 3; i < 14; ++i) fields >> skip;
      double utime = 0, stime = 0;
      fields >> utime >> stime;
      Group* group = &cpu.rest;
      if (name == "tf-cycle") {
        group = &cpu.cycle;
      } else if (name == "tf-commit") {
        group = &cpu.commit;
      } else if (name == "tf-reply") {
        group = &cpu.reply;
      } else if (name == "nexting_thread" || name == "default-executo") {
        group = &cpu.grpc_callbacks;
      }
      group->seconds += (utime + stime) / tick;
      group->switches += ContextSwitches(entry.path() / "status");
    }
    return cpu;
  }
  ThreadCpu operator-(const ThreadCpu& o) const {
    return {cycle - o.cycle, commit - o.commit, reply - o.reply, grpc_callbacks - o.grpc_callbacks,
            rest - o.rest};
  }
  double seconds() const {
    return cycle.seconds + commit.seconds + reply.seconds + grpc_callbacks.seconds + rest.seconds;
  }
  int64_t switches() const {
    return cycle.switches + commit.switches + reply.switches + grpc_callbacks.switches +
           rest.switches;
  }

 private:
  // voluntary_ctxt_switches + nonvoluntary_ctxt_switches of one thread.
  static int64_t ContextSwitches(const std::filesystem::path& status_path) {
    std::ifstream in(status_path);
    std::string line;
    int64_t total = 0;
    while (std::getline(in, line)) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      const std::string_view key(line.data(), colon);
      if (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches") {
        total += std::strtoll(line.c_str() + colon + 1, nullptr, 10);
      }
    }
    return total;
  }
};

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// What the publish responses carried, summed over a phase.
struct Tally {
  int64_t errors = 0;      // not OK, or a response that is not for the event
  int64_t duplicates = 0;  // duplicate = true (every event id is fresh)
  int64_t fired_rules = 0;
  int64_t actions = 0;

  void Add(const Tally& o) {
    errors += o.errors;
    duplicates += o.duplicates;
    fired_rules += o.fired_rules;
    actions += o.actions;
  }
  void Count(const v1::PublishEventResponse& r, const std::string& event_id) {
    if (r.event_id() != event_id) ++errors;
    if (r.duplicate()) ++duplicates;
    fired_rules += r.fired_rules_size();
    for (const auto& f : r.fired_rules()) actions += f.actions_size();
  }
};

struct LoadResult {
  int64_t calls = 0;
  double seconds = 0;
  Tally tally;                        // measured calls only
  int64_t batches = 0;                // group commit transactions while measuring
  int64_t committed = 0;              // events committed while measuring
  double cpu_seconds = 0;             // process CPU (user + system) while measuring
  ThreadCpu threads;                  // the same, by thread, while measuring
  std::vector<int64_t> latencies_ns;  // sorted

  double CallsPerSecond() const { return static_cast<double>(calls) / seconds; }
  double PercentileMicros(double p) const {
    if (latencies_ns.empty()) return 0;
    size_t i = static_cast<size_t>(p * static_cast<double>(latencies_ns.size() - 1));
    return static_cast<double>(latencies_ns[i]) / 1000.0;
  }
  double FsyncsPerThousand() const {
    return committed == 0 ? 0 : 1000.0 * static_cast<double>(batches) / committed;
  }
};

struct PerThread {
  std::vector<int64_t> latencies_ns;
  Tally tally;
};

// The measurement window shared by the workers of one phase: a 0.5 s
// warm-up, then `seconds` measured, with the committer's counters read at
// both ends.
class Window {
 public:
  Window(const server::Server* server, double seconds) : server_(server), seconds_(seconds) {}

  bool measuring() const { return measuring_.load(std::memory_order_relaxed); }
  bool stopped() const { return stop_.load(std::memory_order_relaxed); }

  // Blocks through warm-up and measurement; the workers keep going until
  // stopped() and are joined by the caller.
  void Run(LoadResult* result) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const int64_t batches0 = server_->commit_batches();
    const int64_t events0 = server_->committed_events();
    const double cpu0 = ProcessCpuSeconds();
    const ThreadCpu threads0 = ThreadCpu::Read();
    measuring_ = true;
    const auto begin = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds_));
    measuring_ = false;
    const auto end = Clock::now();
    result->cpu_seconds = ProcessCpuSeconds() - cpu0;
    result->threads = ThreadCpu::Read() - threads0;
    result->batches = server_->commit_batches() - batches0;
    result->committed = server_->committed_events() - events0;
    result->seconds = std::chrono::duration<double>(end - begin).count();
    stop_ = true;
  }

 private:
  const server::Server* server_;
  const double seconds_;
  std::atomic<bool> measuring_{false};
  std::atomic<bool> stop_{false};
};

void Merge(std::vector<PerThread>& per_thread, LoadResult* result) {
  for (PerThread& p : per_thread) {
    result->tally.Add(p.tally);
    result->latencies_ns.insert(result->latencies_ns.end(), p.latencies_ns.begin(),
                                p.latencies_ns.end());
  }
  result->calls = static_cast<int64_t>(result->latencies_ns.size());
  std::sort(result->latencies_ns.begin(), result->latencies_ns.end());
}

// Runs `call(thread_index, tally)` (which returns whether it succeeded) back
// to back on `threads` threads.
template <typename Call>
LoadResult RunUnary(const server::Server* server, int threads, double seconds, Call call) {
  std::vector<PerThread> per_thread(threads);
  std::latch start(threads + 1);
  Window window(server, seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      PerThread& mine = per_thread[t];
      mine.latencies_ns.reserve(1 << 15);
      start.arrive_and_wait();
      while (!window.stopped()) {
        Tally one;
        const auto t0 = Clock::now();
        const bool ok = call(t, &one);
        const auto t1 = Clock::now();
        if (!window.measuring()) continue;
        if (!ok) ++one.errors;
        mine.tally.Add(one);
        mine.latencies_ns.push_back(Nanos(t1 - t0));
      }
    });
  }
  start.arrive_and_wait();
  LoadResult result;
  window.Run(&result);
  for (auto& w : workers) w.join();
  Merge(per_thread, &result);
  return result;
}

// While it lives, one thread lists a ticket's executions
// (ExecutionService.ListExecutions filtered by ticket, a page of 50) in a
// loop, as an agent's view of a ticket does, on tickets the publishers
// write to.
class ExecutionLister {
 public:
  ExecutionLister(const std::shared_ptr<grpc::Channel>& channel, int tickets)
      : stub_(v1::ExecutionService::NewStub(channel)),
        thread_([this, tickets] { Loop(tickets); }) {}
  ~ExecutionLister() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Calls made, failed calls, latencies (sorted) and the seconds it ran;
  // valid after Stop().
  int64_t calls() const { return static_cast<int64_t>(latencies_ns_.size()); }
  int64_t errors() const { return errors_; }
  double seconds() const { return seconds_; }
  double PercentileMicros(double p) const {
    if (latencies_ns_.empty()) return 0;
    const size_t i = static_cast<size_t>(p * static_cast<double>(latencies_ns_.size() - 1));
    return static_cast<double>(latencies_ns_[i]) / 1000.0;
  }

 private:
  void Loop(int tickets) {
    const auto begin = Clock::now();
    for (int64_t n = 0; !stop_; ++n) {
      grpc::ClientContext context;
      v1::ListExecutionsRequest request;
      request.set_page_size(50);
      request.set_ticket_id("T" + std::to_string(100000 + (n * 7919) % tickets));
      v1::ListExecutionsResponse response;
      const auto t0 = Clock::now();
      const grpc::Status status = stub_->ListExecutions(&context, request, &response);
      latencies_ns_.push_back(Nanos(Clock::now() - t0));
      if (!status.ok()) ++errors_;
    }
    seconds_ = std::chrono::duration<double>(Clock::now() - begin).count();
    std::sort(latencies_ns_.begin(), latencies_ns_.end());
  }

  std::unique_ptr<v1::ExecutionService::Stub> stub_;
  std::atomic<bool> stop_{false};
  std::vector<int64_t> latencies_ns_;
  int64_t errors_ = 0;
  double seconds_ = 0;
  std::thread thread_;  // last: starts once the members above exist
};

// Events to publish: templates from the mix (ticket.created and
// ticket.updated only), each publication a fresh event id on one of
// `tickets` ticket ids, occurring later than every earlier one.
//
// A load generator should spend its CPU on calls, not on building them (it
// shares the machine with the server): requests are sent as bytes. Each
// template is serialized once without the fields that change; a request is
// its template's bytes followed by a serialized request holding only those
// fields. Protobuf merges the two when the server parses them, giving the
// event Build() makes (checked for every template at start).
class EventSource {
 public:
  struct Request {
    std::string bytes;  // serialized v1::PublishEventRequest
    std::string event_id;
  };

  explicit EventSource(int tickets) : tickets_(tickets) {
    for (v1::Event& e : GenerateEvents(kTemplateEvents)) {
      if (e.type() != "ticket.created" && e.type() != "ticket.updated") continue;
      v1::PublishEventRequest base;
      v1::Event* b = base.mutable_event();
      *b = e;  // without what Vary sets
      b->clear_id();
      b->clear_occurred_at();
      b->mutable_ticket()->clear_id();
      b->mutable_ticket()->clear_updated_at();
      if (b->has_previous()) b->mutable_previous()->clear_id();
      templates_.push_back(std::move(e));
      bytes_.push_back(base.SerializeAsString());
    }
  }
  size_t template_count() const { return templates_.size(); }

  // The n-th request as a message.
  v1::PublishEventRequest Build(int64_t n) const {
    v1::PublishEventRequest request;
    *request.mutable_event() = templates_[static_cast<size_t>(n) % templates_.size()];
    Vary(request.mutable_event(), EventId(n), TicketId(n), At(n));
    return request;
  }

  // The n-th request as bytes.
  Request Bytes(int64_t n) const {
    const size_t i = static_cast<size_t>(n) % templates_.size();
    v1::PublishEventRequest delta;
    v1::Event* e = delta.mutable_event();
    if (templates_[i].has_previous()) e->mutable_previous();
    Request r{bytes_[i], EventId(n)};
    Vary(e, r.event_id, TicketId(n), At(n));
    delta.AppendToString(&r.bytes);
    return r;
  }

  Request Next() { return Bytes(next_.fetch_add(1, std::memory_order_relaxed)); }

  // The next request, with an event type that fails validation.
  Request NextInvalid() {
    Request r = Next();
    v1::PublishEventRequest delta;
    delta.mutable_event()->set_type("Not.A.Type");
    delta.AppendToString(&r.bytes);
    return r;
  }

  // Whether the bytes of every template parse to the message Build makes.
  bool SelfCheck() const {
    for (size_t n = 0; n < templates_.size(); ++n) {
      v1::PublishEventRequest parsed;
      const auto i = static_cast<int64_t>(n) + 1000003;
      if (!parsed.ParseFromString(Bytes(i).bytes) ||
          !google::protobuf::util::MessageDifferencer::Equals(parsed, Build(i))) {
        return false;
      }
    }
    return true;
  }

  // Average size of a request.
  double AverageBytes() const {
    double sum = 0;
    for (size_t n = 0; n < templates_.size(); ++n) {
      sum += static_cast<double>(Bytes(static_cast<int64_t>(n)).bytes.size());
    }
    return sum / static_cast<double>(templates_.size());
  }

 private:
  static std::string EventId(int64_t n) { return "pub-" + std::to_string(n); }
  std::string TicketId(int64_t n) const { return "T" + std::to_string(100000 + n % tickets_); }
  static google::protobuf::Timestamp At(int64_t n) {
    google::protobuf::Timestamp at;
    at.set_seconds(kFirstOccurredAt + n / 1000);
    at.set_nanos(static_cast<int32_t>(n % 1000) * 1000000);
    return at;
  }
  // Sets what differs between publications of one template.
  static void Vary(v1::Event* e, const std::string& event_id, const std::string& ticket_id,
                   const google::protobuf::Timestamp& at) {
    e->set_id(event_id);
    e->mutable_ticket()->set_id(ticket_id);
    *e->mutable_occurred_at() = at;
    *e->mutable_ticket()->mutable_updated_at() = at;
    if (e->has_previous()) e->mutable_previous()->set_id(ticket_id);
  }

  const int tickets_;
  std::vector<v1::Event> templates_;
  std::vector<std::string> bytes_;  // templates_ serialized without what Vary sets
  std::atomic<int64_t> next_{0};
};

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

template <typename Message>
bool FromByteBuffer(grpc::ByteBuffer* buffer, Message* message) {
  return grpc::SerializationTraits<Message>::Deserialize(buffer, message).ok();
}

// `streams` PublishEvents streams, each with a writer keeping `window`
// events in flight and a reader taking the acks (answered in order).
LoadResult RunStreams(const server::Server* server, EventSource& source,
                      const std::vector<std::shared_ptr<grpc::Channel>>& channels, int streams,
                      int window_size, double seconds) {
  const grpc::internal::RpcMethod method("/triggerfish.v1.EventService/PublishEvents",
                                         grpc::internal::RpcMethod::BIDI_STREAMING);
  std::vector<PerThread> per_thread(streams);
  std::latch start(2 * streams + 1);
  Window window(server, seconds);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(streams);
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>> rws(
      streams);
  struct Slot {
    std::atomic<int64_t> sent_ns{0};
    std::string event_id;  // guarded by ids_mu
  };
  struct StreamState {
    explicit StreamState(int w) : slots(w), in_flight(w) {}
    std::vector<Slot> slots;
    std::counting_semaphore<> in_flight;
    std::atomic<bool> write_failed{false};
    grpc::Status status;
  };
  std::vector<std::unique_ptr<StreamState>> state;
  for (int s = 0; s < streams; ++s) {
    contexts[s] = std::make_unique<grpc::ClientContext>();
    rws[s].reset(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            channels[static_cast<size_t>(s) % channels.size()].get(), method, contexts[s].get()));
    state.push_back(std::make_unique<StreamState>(window_size));
  }
  const auto epoch = Clock::now();
  std::mutex ids_mu;  // guards Slot::event_id between writer and reader
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {  // writer
      StreamState& st = *state[s];
      start.arrive_and_wait();
      for (int64_t i = 0; !window.stopped(); ++i) {
        st.in_flight.acquire();
        EventSource::Request request = source.Next();
        const grpc::ByteBuffer bytes = ToByteBuffer(request.bytes);
        Slot& slot = st.slots[static_cast<size_t>(i % window_size)];
        {
          std::lock_guard lock(ids_mu);
          slot.event_id = std::move(request.event_id);
        }
        slot.sent_ns.store(Nanos(Clock::now() - epoch), std::memory_order_release);
        if (!rws[s]->Write(bytes)) {
          st.write_failed = true;
          break;
        }
      }
      rws[s]->WritesDone();
    });
    threads.emplace_back([&, s] {  // reader
      StreamState& st = *state[s];
      PerThread& mine = per_thread[s];
      mine.latencies_ns.reserve(1 << 15);
      start.arrive_and_wait();
      grpc::ByteBuffer bytes;
      v1::PublishEventsResponse response;
      for (int64_t i = 0; rws[s]->Read(&bytes); ++i) {
        const int64_t now = Nanos(Clock::now() - epoch);
        const bool parsed = FromByteBuffer(&bytes, &response);
        Slot& slot = st.slots[static_cast<size_t>(i % window_size)];
        const int64_t sent = slot.sent_ns.load(std::memory_order_acquire);
        std::string expected;
        {
          std::lock_guard lock(ids_mu);
          expected = slot.event_id;
        }
        st.in_flight.release();
        if (!window.measuring()) continue;
        Tally one;
        if (!parsed || response.event_id() != expected || !response.has_result()) {
          ++one.errors;
        } else {
          one.Count(response.result(), expected);
        }
        mine.tally.Add(one);
        mine.latencies_ns.push_back(now - sent);
      }
      st.status = rws[s]->Finish();
      st.in_flight.release(window_size);  // a writer blocked on a broken stream
    });
  }
  start.arrive_and_wait();
  LoadResult result;
  window.Run(&result);
  for (auto& t : threads) t.join();
  Merge(per_thread, &result);
  for (int s = 0; s < streams; ++s) {
    if (!state[s]->status.ok() || state[s]->write_failed) {
      std::fprintf(stderr, "stream %d: %s\n", s, state[s]->status.error_message().c_str());
      ++result.tally.errors;
    }
  }
  return result;
}

void Print(const char* name, const char* unit, const LoadResult& r) {
  std::printf(
      "%-30s %8.0f %s/s   p50 %9.1f us   p99 %9.1f us   (%lld %s, %lld errors, CPU %.2f "
      "cores)\n",
      name, r.CallsPerSecond(), unit, r.PercentileMicros(0.50), r.PercentileMicros(0.99),
      static_cast<long long>(r.calls), unit, static_cast<long long>(r.tally.errors),
      r.cpu_seconds / r.seconds);
}

// CPU per call in microseconds and context switches per call: the whole
// process, then by thread.
void PrintCpu(const LoadResult& r) {
  const double n = r.calls == 0 ? 1 : static_cast<double>(r.calls);
  auto us = [&](const ThreadCpu::Group& g) { return g.seconds * 1e6 / n; };
  auto per_call = [&](const ThreadCpu::Group& g) { return static_cast<double>(g.switches) / n; };
  const ThreadCpu& t = r.threads;
  std::printf(
      "%-30s CPU per call %.0f us: cycle workers %.0f, committer %.0f, reply thread %.0f, gRPC "
      "callback threads %.0f, client and gRPC's other threads %.0f\n",
      "", r.cpu_seconds * 1e6 / n, us(t.cycle), us(t.commit), us(t.reply), us(t.grpc_callbacks),
      us(t.rest));
  std::printf(
      "%-30s context switches per call %.2f: cycle workers %.2f, committer %.2f, reply thread "
      "%.2f, gRPC callback threads %.2f, client and gRPC's other threads %.2f\n",
      "", static_cast<double>(t.switches()) / n, per_call(t.cycle), per_call(t.commit),
      per_call(t.reply), per_call(t.grpc_callbacks), per_call(t.rest));
}

void PrintPublish(const LoadResult& r) {
  PrintCpu(r);
  const double n = r.calls == 0 ? 1 : static_cast<double>(r.calls);
  std::printf(
      "%-30s %lld transactions for %lld events: %.1f fsyncs per 1,000 events (%.1f events per "
      "commit); %.2f fired rules, %.2f actions per event; %lld duplicates\n",
      "", static_cast<long long>(r.batches), static_cast<long long>(r.committed),
      r.FsyncsPerThousand(),
      r.batches == 0 ? 0 : static_cast<double>(r.committed) / static_cast<double>(r.batches),
      static_cast<double>(r.tally.fired_rules) / n, static_cast<double>(r.tally.actions) / n,
      static_cast<long long>(r.tally.duplicates));
}

// The rules: 98 of the mix, each with one inline action, and two broad ones
// that fire on most events (a helpdesk's "tag every new ticket" and
// "escalate VIP updates").
std::vector<v1::Rule> Rules() {
  std::vector<v1::Rule> rules = GenerateRules(kRuleCount - 2);
  auto add_tags = [](v1::Rule* rule, const char* tag) {
    v1::ActionInvocation* a = rule->add_actions();
    a->set_type("ticket.add_tags");
    (*a->mutable_params()->mutable_fields())["tags"]
        .mutable_list_value()
        ->add_values()
        ->set_string_value(tag);
  };
  auto set_priority = [](v1::Rule* rule) {
    v1::ActionInvocation* a = rule->add_actions();
    a->set_type("ticket.set_fields");
    (*a->mutable_params()->mutable_fields())["priority"].set_string_value("high");
  };
  for (size_t i = 0; i < rules.size(); ++i) {
    if (i % 2 == 0) {
      add_tags(&rules[i], "x");
    } else {
      set_priority(&rules[i]);
    }
  }
  auto predicate = [](v1::Condition* c, const char* field, const char* op) {
    v1::Predicate* p = c->mutable_predicate();
    p->set_field(field);
    p->set_operator_(op);
    return p;
  };
  {
    v1::Rule rule;
    rule.set_id("r-tag-new");
    rule.set_name("Tag new tickets");
    rule.set_position(kRuleCount - 2);
    rule.mutable_trigger()->add_event_types("ticket.created");
    predicate(rule.mutable_condition()->add_all(), "ticket.subject", "present");
    predicate(rule.mutable_condition()->add_all(), "ticket.tags", "includes_none")
        ->mutable_value()
        ->mutable_list_value()
        ->add_values()
        ->set_string_value("triaged");
    add_tags(&rule, "triaged");
    rules.push_back(std::move(rule));
  }
  {
    v1::Rule rule;
    rule.set_id("r-escalate");
    rule.set_name("Escalate updated tickets of paying customers");
    rule.set_position(kRuleCount - 1);
    rule.mutable_trigger()->add_event_types("ticket.updated");
    v1::Predicate* plan =
        predicate(rule.mutable_condition()->add_all(), "ticket.custom_fields.plan", "in");
    for (const char* p : {"pro", "business", "enterprise"}) {
      plan->mutable_value()->mutable_list_value()->add_values()->set_string_value(p);
    }
    predicate(rule.mutable_condition()->add_all(), "ticket.priority", "less_than")
        ->mutable_value()
        ->set_string_value("high");
    set_priority(&rule);
    rules.push_back(std::move(rule));
  }
  return rules;
}

// A fresh directory under /tmp, removed with everything in it.
int Run(const Options& options) {
  spdlog::set_level(spdlog::level::warn);
  TempDir dir("tf-publish-bench");  // outlives the server
  if (dir.path().empty()) {
    std::perror("mkdtemp");
    return 1;
  }

  server::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.admin_listen = "127.0.0.1:0";  // metrics on, as in production; any free port
  config.store_path = (dir.path() / "bench.db").string();
  config.plugin_dirs = {TF_BUNDLED_PLUGIN_DIR};
  config.log_level = "warn";
  auto started = server::Server::Start(config);
  if (!started.ok()) {
    std::fprintf(stderr, "server did not start: %s\n", started.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<server::Server> server = std::move(*started);
  const std::string target = "127.0.0.1:" + std::to_string(server->port());

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs;
  for (int c = 0; c < options.channels; ++c) {
    channels.push_back(NewChannel(target, c));
    health_stubs.push_back(grpc::health::v1::Health::NewStub(channels.back()));
  }

  {
    auto rule_stub = v1::RuleService::NewStub(channels[0]);
    for (const v1::Rule& rule : Rules()) {
      grpc::ClientContext context;
      v1::CreateRuleRequest request;
      *request.mutable_rule() = rule;
      request.set_rule_id(rule.id());
      v1::Rule created;
      grpc::Status status = rule_stub->CreateRule(&context, request, &created);
      if (!status.ok()) {
        std::fprintf(stderr, "CreateRule %s: %s\n", rule.id().c_str(),
                     status.error_message().c_str());
        return 1;
      }
    }
  }
  EventSource source(options.tickets);
  if (!source.SelfCheck()) {
    std::fprintf(stderr, "request bytes do not parse to the events they stand for\n");
    return 1;
  }
  std::printf(
      "%d rules (each with a ticket.add_tags or ticket.set_fields action), events: "
      "ticket.created / ticket.updated from %zu templates (%.0f bytes per request), fresh ids, "
      "%d tickets\n"
      "SQLite WAL, synchronous=FULL; %.1f s per phase after a 0.5 s warm-up\n"
      "unary: %d client threads over %d channels; streams: %d, window %d events each\n\n",
      kRuleCount, source.template_count(), source.AverageBytes(), options.tickets, options.seconds,
      options.threads, options.channels, options.streams, options.window);
  const grpc::internal::RpcMethod publish_event("/triggerfish.v1.EventService/PublishEvent",
                                                grpc::internal::RpcMethod::NORMAL_RPC);

  const auto channel_of = [&](int t) { return static_cast<size_t>(t % options.channels); };

  LoadResult check = RunUnary(server.get(), options.threads, options.seconds, [&](int t, Tally*) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health_stubs[channel_of(t)]->Check(&context, request, &response).ok() &&
           response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  });
  Print("grpc.health.v1.Health/Check", "calls", check);
  PrintCpu(check);

  const auto publish = [&](int t, Tally* tally) {
    grpc::ClientContext context;
    const EventSource::Request request = source.Next();
    grpc::ByteBuffer response_bytes;
    if (!grpc::internal::BlockingUnaryCall(channels[channel_of(t)].get(), publish_event, &context,
                                           ToByteBuffer(request.bytes), &response_bytes)
             .ok()) {
      return false;
    }
    v1::PublishEventResponse response;
    if (!FromByteBuffer(&response_bytes, &response)) return false;
    tally->Count(response, request.event_id);
    return true;
  };
  LoadResult unary = RunUnary(server.get(), options.threads, options.seconds, publish);
  Print("EventService/PublishEvent", "events", unary);
  PrintPublish(unary);

  // The same load with an agent's view reading alongside: reads run on
  // their own connections and do not hold up commits.
  LoadResult with_reader;
  {
    ExecutionLister lister(channels[0], options.tickets);
    with_reader = RunUnary(server.get(), options.threads, options.seconds, publish);
    lister.Stop();
    Print("PublishEvent + a lister", "events", with_reader);
    PrintPublish(with_reader);
    std::printf(
        "%-30s ListExecutions by ticket alongside: %.0f calls/s, p50 %.1f us, p99 %.1f us (%lld "
        "errors)\n",
        "", static_cast<double>(lister.calls()) / lister.seconds(), lister.PercentileMicros(0.5),
        lister.PercentileMicros(0.99), static_cast<long long>(lister.errors()));
    with_reader.tally.errors += lister.errors();
  }

  // The same calls, each refused at validation (INVALID_ARGUMENT): what a
  // PublishEvent costs before its event is evaluated or stored.
  LoadResult rejected =
      RunUnary(server.get(), options.threads, options.seconds, [&](int t, Tally*) {
        grpc::ClientContext context;
        const EventSource::Request request = source.NextInvalid();
        grpc::ByteBuffer response_bytes;
        return grpc::internal::BlockingUnaryCall(channels[channel_of(t)].get(), publish_event,
                                                 &context, ToByteBuffer(request.bytes),
                                                 &response_bytes)
                   .error_code() == grpc::StatusCode::INVALID_ARGUMENT;
      });
  Print("PublishEvent, invalid event", "calls", rejected);
  PrintCpu(rejected);

  LoadResult stream =
      RunStreams(server.get(), source, channels, options.streams, options.window, options.seconds);
  Print("EventService/PublishEvents", "events", stream);
  PrintPublish(stream);

  std::printf("\nPublishEvent / Check throughput:   %.3f  (target >= 0.5 at 64 callers)\n",
              unary.CallsPerSecond() / check.CallsPerSecond());
  std::printf("PublishEvents / PublishEvent:      %.3f\n",
              stream.CallsPerSecond() / unary.CallsPerSecond());
  std::printf("PublishEvents / Check throughput:  %.3f\n",
              stream.CallsPerSecond() / check.CallsPerSecond());
  std::printf("PublishEvent (invalid) / Check:    %.3f  (the call alone, refused at validation)\n",
              rejected.CallsPerSecond() / check.CallsPerSecond());

  server->Shutdown(std::chrono::milliseconds(1000));
  server->Wait();
  server.reset();
  const int64_t bad = check.tally.errors + unary.tally.errors + with_reader.tally.errors +
                      rejected.tally.errors + stream.tally.errors + unary.tally.duplicates +
                      with_reader.tally.duplicates + stream.tally.duplicates;
  if (bad != 0) std::fprintf(stderr, "%lld errors or duplicates\n", static_cast<long long>(bad));
  return bad == 0 ? 0 : 1;
}

}  // namespace
}  // namespace triggerfish::bench

int main(int argc, char** argv) {
  triggerfish::bench::Options options;
  CLI::App app{"Durable PublishEvent / PublishEvents vs Health/Check, with fsyncs per event"};
  app.add_option("--seconds", options.seconds, "Measured seconds per phase")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Concurrent unary callers")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--channels", options.channels, "Channels (connections) the callers share")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--streams", options.streams, "PublishEvents streams")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--window", options.window, "Events in flight per stream")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--tickets", options.tickets, "Distinct ticket ids")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return triggerfish::bench::Run(options);
}
