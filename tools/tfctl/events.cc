// tfctl events publish (the PublishEvents stream) and tfctl explain
// (EvaluateEvent with the full explanation).

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "CLI/CLI.hpp"
#include "tools/tfctl/commands.h"
#include "tools/tfctl/connection.h"
#include "tools/tfctl/documents.h"
#include "tools/tfctl/explain.h"
#include "tools/tfctl/output.h"
#include "tools/tfctl/rules_file.h"
#include "triggerfish/v1/event_service.grpc.pb.h"

namespace triggerfish::tfctl {
namespace {

// An event document may be the Event itself or {"event": Event} (the
// request form).
std::string ParseEvent(const Json& document, v1::Event* event) {
  if (document.is_object() && document.size() == 1 && document.contains("event")) {
    return JsonToMessage(document["event"], event);
  }
  return JsonToMessage(document, event);
}

struct PublishOptions {
  std::string file;
  bool progress = false;
  bool verbose = false;
};

// Counts lines of a regular file (for the progress total); 0 otherwise.
int64_t CountLines(const std::string& path) {
  struct stat info;
  if (path == "-" || stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return 0;
  std::ifstream in(path);
  int64_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  return lines;
}

class Progress {
 public:
  Progress(bool enabled, int64_t total)
      : enabled_(enabled), tty_(isatty(STDERR_FILENO)), total_(total) {}

  void Update(int64_t done, bool last = false) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(2);
    if (!last && now - last_print_ < interval) return;
    last_print_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    std::string text =
        std::to_string(done) + (total_ > 0 ? "/" + std::to_string(total_) : "") + " lines, " +
        std::to_string(static_cast<int64_t>(done / std::max(seconds, 1e-3))) + " events/s";
    std::cerr << (tty_ ? "\r" + text + "   " : text + "\n") << (last && tty_ ? "\n" : "")
              << std::flush;
  }

 private:
  bool enabled_;
  bool tty_;
  int64_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_print_;
};

void Publish(const PublishOptions& publish, const GlobalOptions& options) {
  std::unique_ptr<std::istream> file;
  std::istream* in = &std::cin;
  if (publish.file != "-") {
    file = std::make_unique<std::ifstream>(publish.file);
    if (!*file) UsageError("cannot read " + publish.file);
    in = file.get();
  }
  Progress progress(publish.progress || isatty(STDERR_FILENO), CountLines(publish.file));

  auto stub = v1::EventService::NewStub(OpenChannel(options));
  auto context = NewContext(options, /*deadline=*/false);
  auto stream = stub->PublishEvents(context.get());

  std::mutex mu;                                          // guards everything below and stderr
  std::deque<std::pair<int64_t, std::string>> in_flight;  // line, event id
  Json errors = Json::array();
  Json results = Json::array();
  int64_t published = 0, duplicates = 0, lines_done = 0;
  auto fail = [&](int64_t line, const std::string& event_id, const google::rpc::Status& error) {
    Json entry = {{"line", line}, {"event_id", event_id}, {"error", RpcStatusToJson(error)}};
    errors.push_back(entry);
    if (!options.json()) {
      std::cerr << "line " << line << (event_id.empty() ? "" : " (event " + event_id + ")") << ": "
                << FormatRpcStatus(error) << "\n";
    }
  };

  // The writer reads the file and sends; this thread reads the answers,
  // which come in order, so that neither side blocks the other.
  std::thread writer([&] {
    std::string text;
    int64_t line = 0;
    while (std::getline(*in, text)) {
      ++line;
      if (text.find_first_not_of(" \t\r") == std::string::npos) {
        std::lock_guard lock(mu);
        ++lines_done;
        continue;
      }
      v1::PublishEventRequest request;
      std::string error;
      try {
        error = ParseEvent(Json::parse(text), request.mutable_event());
      } catch (const Json::parse_error& e) {
        error = std::string("invalid JSON: ") + e.what();
      }
      if (!error.empty()) {
        google::rpc::Status status;
        status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
        status.set_message(error);
        std::lock_guard lock(mu);
        fail(line, "", status);
        ++lines_done;
        continue;
      }
      {
        std::lock_guard lock(mu);
        in_flight.emplace_back(line, request.event().id());
      }
      if (!stream->Write(request)) break;  // the stream ended; Finish() says why
    }
    stream->WritesDone();
  });

  v1::PublishEventsResponse response;
  while (stream->Read(&response)) {
    std::lock_guard lock(mu);
    if (in_flight.empty()) break;  // cannot happen: one answer per event
    const auto [line, event_id] = in_flight.front();
    in_flight.pop_front();
    ++lines_done;
    if (response.has_error()) {
      fail(line, event_id, response.error());
    } else {
      const v1::PublishEventResponse& result = response.result();
      ++published;
      if (result.duplicate()) ++duplicates;
      if (publish.verbose) {
        std::vector<std::string> fired;
        for (const auto& rule : result.fired_rules()) fired.push_back(rule.rule_id());
        if (options.json()) {
          Json entry = {{"line", line}};
          entry["result"] = MessageToJson(result);
          results.push_back(entry);
        } else {
          std::cout << "line " << line << "  " << event_id
                    << (result.duplicate() ? "  duplicate" : "") << "  fired: " << JoinOrDash(fired)
                    << "  patch: " << PatchText(result.ticket_patch()) << "\n";
        }
      }
    }
    progress.Update(lines_done);
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  progress.Update(lines_done, /*last=*/true);
  if (!status.ok()) {
    ThrowApiError(status, options,
                  "publish events (" + std::to_string(in_flight.size()) + " sent but unanswered)");
  }
  const int64_t failed = static_cast<int64_t>(errors.size());
  // Parse errors are found before earlier lines are answered.
  std::stable_sort(errors.begin(), errors.end(),
                   [](const Json& a, const Json& b) { return a["line"] < b["line"]; });
  if (options.json()) {
    Json out = {{"published", published},
                {"duplicates", duplicates},
                {"failed", failed},
                {"errors", errors}};
    if (publish.verbose) out["results"] = results;
    PrintJson(out);
  } else {
    std::cout << published << " published (" << duplicates << " duplicates), " << failed
              << " failed\n";
  }
  if (failed > 0) throw Failure(kExitFailed, "");
}

struct ExplainOptions {
  std::string file;
  std::string rules_file;
  std::string level = "full";
  bool all = false;
};

void Explain(const ExplainOptions& explain, const GlobalOptions& options) {
  v1::EvaluateEventRequest request;
  if (const std::string error = ParseEvent(ReadDocument(explain.file), request.mutable_event());
      !error.empty()) {
    UsageError(explain.file + ": not an event: " + error);
  }
  if (!explain.rules_file.empty()) {
    for (auto& rule : ReadRulesFile(explain.rules_file, /*require_ids=*/false)) {
      *request.add_rules() = std::move(rule);
    }
  }
  request.set_explain(explain.level == "summary" ? v1::EXPLAIN_LEVEL_SUMMARY
                                                 : v1::EXPLAIN_LEVEL_FULL);
  auto stub = v1::EventService::NewStub(OpenChannel(options));
  v1::EvaluateEventResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->EvaluateEvent(context.get(), request, &response);
  if (!status.ok()) ThrowApiError(status, options, "evaluate event");
  if (options.json()) {
    PrintJson(MessageToJson(response, /*defaults=*/true));
    return;
  }
  const v1::Event& event = request.event();
  std::cout << "event " << (event.id().empty() ? "(no id)" : event.id()) << " (" << event.type()
            << ")" << (event.ticket().id().empty() ? "" : " on ticket " + event.ticket().id())
            << ": " << response.fired_rules_size() << " rule"
            << (response.fired_rules_size() == 1 ? "" : "s") << " fired in " << response.passes()
            << " pass" << (response.passes() == 1 ? "" : "es") << "\n\n";
  std::cout << "Fired:\n";
  PrintFiredRules(std::cout, response.fired_rules(), 2);
  std::cout << "\nTicket patch: " << PatchText(response.ticket_patch()) << "\n\nRules:\n";
  int not_triggered = 0;
  for (const auto& explanation : response.explanations()) {
    if (explanation.outcome() == v1::RULE_OUTCOME_NOT_TRIGGERED && !explain.all) {
      ++not_triggered;
      continue;
    }
    PrintExplanation(std::cout, explanation, 2);
  }
  if (not_triggered > 0) {
    std::cout << "  (" << not_triggered << " rule" << (not_triggered == 1 ? "" : "s")
              << " not listening to " << event.type() << "; --all shows them)\n";
  }
}

}  // namespace

void AddEventsCommands(CLI::App& app, const GlobalOptions& options) {
  CLI::App* events = app.add_subcommand("events", "publish events");
  events->require_subcommand(1);
  auto publish = std::make_shared<PublishOptions>();
  CLI::App* pub = events->add_subcommand(
      "publish", "publish events from a JSON Lines file (one triggerfish.v1.Event per line)");
  pub->add_option("-f,--file", publish->file, "JSONL file; - for stdin")->required();
  pub->add_flag("--progress", publish->progress,
                "report progress on stderr (default: when stderr is a terminal)");
  pub->add_flag("-v,--verbose", publish->verbose, "one line per event: fired rules and patch");
  pub->callback([publish, &options] { Publish(*publish, options); });

  auto explain = std::make_shared<ExplainOptions>();
  CLI::App* exp = app.add_subcommand(
      "explain", "evaluate an event without side effects and explain every rule");
  exp->add_option("-f,--file", explain->file, "the event (JSON or YAML; - for stdin)")->required();
  exp->add_option("--rules", explain->rules_file,
                  "evaluate these draft rules instead of the stored ones");
  exp->add_option("--level", explain->level, "full (condition trees) or summary")
      ->check(CLI::IsMember({"full", "summary"}));
  exp->add_flag("--all", explain->all, "also list rules that do not listen to the event type");
  exp->callback([explain, &options] { Explain(*explain, options); });
}

}  // namespace triggerfish::tfctl
