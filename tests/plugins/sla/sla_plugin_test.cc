// The bundled sla plugin, loaded from its built module into FakeHost with a
// Berlin business-hours policy and a calendar-time policy. The host clock is
// set by hand; 5 June 2026 is a Friday (CEST, UTC+2).
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <triggerfish/testing/fake_host.h>

namespace triggerfish::plugins::sla {
namespace {

using Json = nlohmann::json;
using sdk::testing::FakeHost;
using ::testing::HasSubstr;

const Json kConfig = Json::parse(R"({
  "calendars": {
    "berlin": {
      "time_zone": "Europe/Berlin",
      "hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]],
                "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]],
                "fri": [["09:00", "17:00"]]},
      "holidays": ["2026-12-25"]
    }
  },
  "policies": {
    "standard": {
      "calendar": "berlin",
      "targets": {
        "normal": {"first_reply_time": 240, "next_reply_time": 480, "resolution_time": 2400},
        "urgent": {"first_reply_time": 60, "resolution_time": 480}
      },
      "warning": {"lead_minutes": 30}
    },
    "round_the_clock": {
      "targets": {"urgent": {"first_reply_time": 30}},
      "warning": {"fraction": 0.8}
    }
  }
})");

// "2026-06-05T13:00Z" as host-clock microseconds.
int64_t Micros(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, m = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%dZ", &y, &mo, &d, &h, &m) != 5) {
    throw std::invalid_argument("bad test instant " + text);
  }
  // Days from civil (Howard Hinnant's algorithm), to stay independent of
  // the code under test.
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + m) * int64_t{60'000'000};
}

Json Ticket(const char* priority) {
  Json ticket = {{"id", "T1"}, {"status", "open"}};
  if (priority != nullptr) ticket["priority"] = priority;
  return ticket;
}

class SlaPluginTest : public ::testing::Test {
 protected:
  SlaPluginTest() { host_.SetNow(Micros("2026-06-05T13:00Z")); }

  FakeHost::Outcome Run(const char* type, const char* params,
                        const Json& ticket = Ticket("normal")) {
    return plugin_->Execute(type, Json::parse(params), ticket);
  }
  // The stored clock record, or null.
  Json ClockState(const std::string& metric, const std::string& ticket = "T1") {
    auto text = host_.GetState("sla", "clock/" + ticket + "/" + metric);
    return text ? Json::parse(*text) : Json();
  }
  // "key@due" of every pending timer, by due time.
  std::vector<std::string> Timers() {
    std::vector<std::string> out;
    for (const FakeHost::Timer& t : host_.timers()) {
      out.push_back(t.key + "@" + std::to_string(t.due_unix_micros));
    }
    return out;
  }
  static std::string At(const std::string& key, const std::string& when) {
    return key + "@" + std::to_string(Micros(when));
  }

  FakeHost host_;
  std::unique_ptr<FakeHost::Plugin> plugin_ = host_.LoadModule(TF_SLA_PLUGIN, kConfig);
};

TEST_F(SlaPluginTest, DeclaresFourInlineActions) {
  EXPECT_STREQ(plugin_->descriptor().name, "sla");
  ASSERT_EQ(plugin_->descriptor().action_count, 4u);
  for (const char* type : {"sla.start", "sla.pause", "sla.resume", "sla.stop"}) {
    const tf_action_descriptor* action = plugin_->FindAction(type);
    ASSERT_NE(action, nullptr) << type;
    EXPECT_EQ(action->mode, TF_MODE_INLINE) << type;
  }
}

TEST_F(SlaPluginTest, StartSchedulesWarningAndBreachTimersInBusinessHours) {
  // Fri 15:00 CEST + 240 business minutes: 120 on Friday, then Mon 8 Jun
  // 09:00 + 120 = 11:00 CEST (09:00Z); the warning 30 minutes earlier.
  auto out = Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})");
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  const Json expected = Json::parse(R"({
    "policy": "standard", "metric": "first_reply_time", "priority": "normal",
    "target_minutes": 240, "calendar": "berlin", "started_at": "2026-06-05T13:00:00Z",
    "elapsed_minutes": 0, "running_since": "2026-06-05T13:00:00Z", "paused": false,
    "stopped": false, "due_at": "2026-06-08T09:00:00Z", "breached": false})");
  EXPECT_EQ(ClockState("first_reply_time"), expected);

  std::vector<FakeHost::Timer> timers = host_.timers();
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0].key, "sla/T1/first_reply_time/warning");
  EXPECT_EQ(timers[0].event_type, "sla.warning");
  EXPECT_EQ(timers[0].due_unix_micros, Micros("2026-06-08T08:30Z"));
  EXPECT_EQ(timers[1].key, "sla/T1/first_reply_time/breached");
  EXPECT_EQ(timers[1].event_type, "sla.breached");
  EXPECT_EQ(timers[1].due_unix_micros, Micros("2026-06-08T09:00Z"));
  const Json payload = Json::parse(R"({"metric": "first_reply_time", "policy": "standard",
    "target_minutes": 240, "due_at": "2026-06-08T09:00:00Z", "ticket_id": "T1"})");
  for (const FakeHost::Timer& t : timers) {
    EXPECT_EQ(t.ticket_id, "T1");
    EXPECT_EQ(t.payload, payload);
  }

  // The execution record shows the clock.
  Json clock = out.result["output"]["clocks"][0];
  EXPECT_EQ(clock["change"], "started");
  clock.erase("change");
  EXPECT_EQ(clock, expected);
  EXPECT_EQ(out.message(), "first_reply_time started");
}

TEST_F(SlaPluginTest, StartWithoutMetricsStartsEveryMetricTheTicketsPriorityTargets) {
  auto out = Run("sla.start", R"({"policy": "standard"})", Ticket("urgent"));
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(ClockState("first_reply_time")["due_at"], "2026-06-05T14:00:00Z");
  // 480: Fri 15:00-17:00 (120), Mon 09:00 + 360 = 15:00 CEST.
  EXPECT_EQ(ClockState("resolution_time")["due_at"], "2026-06-08T13:00:00Z");
  EXPECT_TRUE(ClockState("next_reply_time").is_null());
  EXPECT_EQ(out.result["output"]["skipped"], Json::parse(R"([{"metric": "next_reply_time",
    "reason": "policy 'standard' has no next_reply_time target for priority urgent"}])"));
  EXPECT_EQ(host_.timers().size(), 4u);
}

TEST_F(SlaPluginTest, APriorityWithoutTargetsGetsNoClockAndSaysWhy) {
  auto out = Run("sla.start", R"({"policy": "standard"})", Ticket("low"));
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(out.result["output"]["clocks"], Json::array());
  ASSERT_EQ(out.result["output"]["skipped"].size(), 3u);
  EXPECT_EQ(out.result["output"]["skipped"][0]["reason"],
            "policy 'standard' has no first_reply_time target for priority low");
  EXPECT_EQ(out.message(), "no clock changed");
  EXPECT_TRUE(host_.timers().empty());
  EXPECT_TRUE(ClockState("first_reply_time").is_null());

  out = Run("sla.start", R"({"policy": "standard", "metrics": ["resolution_time"]})",
            Ticket(nullptr));
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(out.result["output"]["skipped"], Json::parse(R"([{"metric": "resolution_time",
    "reason": "the ticket has no priority"}])"));
}

TEST_F(SlaPluginTest, StartingARunningClockAgainChangesNothing) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard"})").code, TF_OK);
  const Json before = ClockState("first_reply_time");
  const std::vector<std::string> timers = Timers();
  host_.Advance(std::chrono::minutes(10));
  auto out = Run("sla.start", R"({"policy": "standard"})");
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(ClockState("first_reply_time"), before);
  EXPECT_EQ(Timers(), timers);
  EXPECT_EQ(out.result["output"]["clocks"][0]["change"], "unchanged");
  EXPECT_EQ(out.message(), "no clock changed");
}

TEST_F(SlaPluginTest, PauseCancelsTimersAndKeepsTheBusinessTimeUsed) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})").code,
            TF_OK);
  host_.Advance(std::chrono::minutes(45));
  auto out = Run("sla.pause", "{}");
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  Json clock = ClockState("first_reply_time");
  EXPECT_EQ(clock["elapsed_minutes"], 45);
  EXPECT_TRUE(clock["running_since"].is_null());
  EXPECT_TRUE(clock["due_at"].is_null());
  EXPECT_EQ(clock["paused"], true);
  EXPECT_EQ(clock["started_at"], "2026-06-05T13:00:00Z");
  EXPECT_TRUE(host_.timers().empty());
  EXPECT_EQ(out.message(), "first_reply_time paused");

  // Pausing again, or a metric without a clock, changes nothing.
  out = Run("sla.pause", R"({"metrics": ["first_reply_time", "resolution_time"]})");
  EXPECT_EQ(out.result["output"]["skipped"], Json::parse(R"([
    {"metric": "first_reply_time", "reason": "already paused"},
    {"metric": "resolution_time", "reason": "no clock"}])"));
}

TEST_F(SlaPluginTest, ResumeReschedulesFromTheRemainingBusinessTimeAcrossAWeekend) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})").code,
            TF_OK);
  host_.SetNow(Micros("2026-06-05T14:00Z"));  // Fri 16:00 CEST: 60 of 240 used
  ASSERT_EQ(Run("sla.pause", "{}").code, TF_OK);
  host_.SetNow(Micros("2026-06-06T10:00Z"));  // Sat 12:00 CEST
  auto out = Run("sla.resume", "{}");
  ASSERT_EQ(out.code, TF_OK) << out.raw;

  // 180 remain from Mon 09:00 CEST: due 12:00 CEST, warning at 11:30.
  Json clock = ClockState("first_reply_time");
  EXPECT_EQ(clock["elapsed_minutes"], 60);
  EXPECT_EQ(clock["running_since"], "2026-06-06T10:00:00Z");
  EXPECT_EQ(clock["paused"], false);
  EXPECT_EQ(clock["due_at"], "2026-06-08T10:00:00Z");
  EXPECT_EQ(Timers(), (std::vector<std::string>{
                          At("sla/T1/first_reply_time/warning", "2026-06-08T09:30Z"),
                          At("sla/T1/first_reply_time/breached", "2026-06-08T10:00Z")}));

  // Monday at the due time both events are due, warning first.
  host_.SetNow(Micros("2026-06-08T10:00Z"));
  std::vector<FakeHost::Timer> due = host_.TakeDueTimers();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].event_type, "sla.warning");
  EXPECT_EQ(due[1].event_type, "sla.breached");
  EXPECT_EQ(due[1].payload["due_at"], "2026-06-08T10:00:00Z");

  // Resuming a running clock changes nothing.
  EXPECT_EQ(Run("sla.resume", R"({"metrics": ["first_reply_time"]})")
                .result["output"]["skipped"][0]["reason"],
            "not paused");
}

TEST_F(SlaPluginTest, StopCancelsTimersAndRecordsTheTargetMet) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard"})").code, TF_OK);
  ASSERT_EQ(host_.timers().size(), 6u);
  host_.Advance(std::chrono::minutes(30));
  auto out = Run("sla.stop", R"({"metrics": ["first_reply_time"]})");
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  Json clock = ClockState("first_reply_time");
  EXPECT_EQ(clock["stopped"], true);
  EXPECT_EQ(clock["breached"], false);
  EXPECT_EQ(clock["elapsed_minutes"], 30);
  EXPECT_TRUE(clock["running_since"].is_null());
  EXPECT_EQ(out.result["output"]["clocks"][0]["met"], true);
  for (const FakeHost::Timer& t : host_.timers()) {
    EXPECT_THAT(t.key, ::testing::Not(HasSubstr("first_reply_time")));
  }
  EXPECT_EQ(host_.timers().size(), 4u);

  out = Run("sla.stop", R"({"metrics": ["first_reply_time"]})");
  EXPECT_EQ(out.result["output"]["skipped"][0]["reason"], "already stopped");

  // Stopping without a list stops the remaining clocks and leaves no timer.
  EXPECT_EQ(Run("sla.stop", "{}").message(), "next_reply_time stopped, resolution_time stopped");
  EXPECT_TRUE(host_.timers().empty());
}

TEST_F(SlaPluginTest, CalendarTimeClockWarnsAtItsFractionThenBreaches) {
  host_.SetNow(Micros("2026-06-06T10:00Z"));  // Saturday: calendar time ignores hours
  ASSERT_EQ(Run("sla.start", R"({"policy": "round_the_clock"})", Ticket("urgent")).code, TF_OK);
  EXPECT_TRUE(ClockState("first_reply_time")["calendar"].is_null());
  EXPECT_EQ(Timers(), (std::vector<std::string>{
                          At("sla/T1/first_reply_time/warning", "2026-06-06T10:24Z"),
                          At("sla/T1/first_reply_time/breached", "2026-06-06T10:30Z")}));

  host_.SetNow(Micros("2026-06-06T10:24Z"));
  std::vector<FakeHost::Timer> due = host_.TakeDueTimers();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event_type, "sla.warning");
  host_.SetNow(Micros("2026-06-06T10:31Z"));
  due = host_.TakeDueTimers();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event_type, "sla.breached");
  EXPECT_EQ(due[0].payload["target_minutes"], 30);

  auto out = Run("sla.stop", "{}", Ticket("urgent"));
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  EXPECT_EQ(ClockState("first_reply_time")["breached"], true);
  EXPECT_EQ(ClockState("first_reply_time")["elapsed_minutes"], 31);
  EXPECT_EQ(out.result["output"]["clocks"][0]["met"], false);
}

TEST_F(SlaPluginTest, AStoppedClockStartsAfresh) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["next_reply_time"]})").code,
            TF_OK);
  host_.Advance(std::chrono::minutes(20));
  ASSERT_EQ(Run("sla.stop", "{}").code, TF_OK);
  host_.SetNow(Micros("2026-06-08T07:00Z"));  // Mon 09:00 CEST: the customer replies again
  auto out = Run("sla.start", R"({"policy": "standard", "metrics": ["next_reply_time"]})");
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  Json clock = ClockState("next_reply_time");
  EXPECT_EQ(clock["started_at"], "2026-06-08T07:00:00Z");
  EXPECT_EQ(clock["elapsed_minutes"], 0);
  EXPECT_EQ(clock["stopped"], false);
  EXPECT_EQ(clock["due_at"], "2026-06-08T15:00:00Z");
}

TEST_F(SlaPluginTest, APriorityChangeRetargetsTheClockKeepingItsTime) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})").code,
            TF_OK);
  host_.Advance(std::chrono::minutes(30));
  auto out = Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})",
                 Ticket("urgent"));
  ASSERT_EQ(out.code, TF_OK) << out.raw;
  Json clock = ClockState("first_reply_time");
  EXPECT_EQ(clock["priority"], "urgent");
  EXPECT_EQ(clock["target_minutes"], 60);
  EXPECT_EQ(clock["started_at"], "2026-06-05T13:00:00Z");
  EXPECT_EQ(clock["elapsed_minutes"], 30);
  EXPECT_EQ(clock["due_at"], "2026-06-05T14:00:00Z");
  EXPECT_EQ(out.result["output"]["clocks"][0]["change"], "retargeted");
  // The warning point (30 minutes in) has passed: only the breach remains.
  EXPECT_EQ(
      Timers(),
      (std::vector<std::string>{At("sla/T1/first_reply_time/breached", "2026-06-05T14:00Z")}));
}

TEST_F(SlaPluginTest, FractionalMinutesSurvivePauseAndResume) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})").code,
            TF_OK);
  host_.Advance(std::chrono::seconds(90));
  ASSERT_EQ(Run("sla.pause", "{}").code, TF_OK);
  EXPECT_EQ(ClockState("first_reply_time")["elapsed_minutes"], 1.5);
  host_.Advance(std::chrono::hours(1));
  ASSERT_EQ(Run("sla.resume", "{}").code, TF_OK);
  // Resumed Fri 16:01:30 CEST with 238.5 left: 58.5 on Friday, Mon 09:00 + 180.
  EXPECT_EQ(ClockState("first_reply_time")["due_at"], "2026-06-08T10:00:00Z");
}

TEST_F(SlaPluginTest, RejectsUnknownPoliciesAndTicketsWithoutId) {
  auto out = Run("sla.start", R"({"policy": "gold"})");
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(), "unknown SLA policy 'gold'");
  out = Run("sla.pause", "{}", Json{{"priority", "normal"}});
  EXPECT_EQ(out.code, TF_PERMANENT);
  EXPECT_EQ(out.message(), "the ticket has no id");
}

TEST_F(SlaPluginTest, StorageOutageIsRetryable) {
  host_.SetStorageFailure(TF_HOST_UNAVAILABLE);
  EXPECT_EQ(Run("sla.start", R"({"policy": "standard"})").code, TF_RETRYABLE);
}

TEST_F(SlaPluginTest, ClocksOfTwoTicketsAreIndependent) {
  ASSERT_EQ(Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})").code,
            TF_OK);
  Json other = Ticket("urgent");
  other["id"] = "T2";
  ASSERT_EQ(
      Run("sla.start", R"({"policy": "standard", "metrics": ["first_reply_time"]})", other).code,
      TF_OK);
  ASSERT_EQ(Run("sla.pause", "{}", other).code, TF_OK);
  EXPECT_EQ(ClockState("first_reply_time", "T1")["paused"], false);
  EXPECT_EQ(ClockState("first_reply_time", "T2")["paused"], true);
  EXPECT_EQ(host_.timers().size(), 2u);
}

// Semantic config errors the schema cannot catch fail init with a clear message.
std::string InitError(const Json& config) {
  FakeHost host;
  try {
    host.LoadModule(TF_SLA_PLUGIN, config);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(SlaPluginConfigTest, RejectsConfigsItCannotUse) {
  Json config = kConfig;
  config["calendars"]["berlin"]["time_zone"] = "Europe/Atlantis";
  EXPECT_THAT(InitError(config),
              HasSubstr("calendar 'berlin': unknown time zone 'Europe/Atlantis'"));

  config = kConfig;
  config["policies"]["standard"]["calendar"] = "paris";
  EXPECT_THAT(InitError(config), HasSubstr("policy 'standard' refers to unknown calendar 'paris'"));

  config = kConfig;
  config["calendars"]["berlin"]["holidays"] = {"2026-02-30"};
  EXPECT_THAT(InitError(config), HasSubstr("calendar 'berlin': '2026-02-30' is not a valid date"));

  config = kConfig;
  config["calendars"]["berlin"]["hours"] = Json::object();
  EXPECT_THAT(InitError(config),
              HasSubstr("calendar 'berlin': no opening hours on any day of the week"));

  config = kConfig;
  config["calendars"]["berlin"]["hours"]["sat"] = Json::parse(R"([["10:00", "10:00"]])");
  EXPECT_THAT(InitError(config), HasSubstr("opening hours 10:00-10:00 are empty"));

  EXPECT_EQ(InitError(Json::object()), "");
}

}  // namespace
}  // namespace triggerfish::plugins::sla
