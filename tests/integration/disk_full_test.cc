// A full disk under the store, for real: the store lives on a tmpfs of a
// few hundred kilobytes (mounting one needs root, as in CI; elsewhere the
// test is skipped and says why). Publishing fails with UNAVAILABLE and the
// reason STORE_FULL, leaves no trace, and loses nothing acknowledged; reads
// keep working; once the file system is given room (remounted larger), the
// refused events publish normally, also after a kill -9.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/test_client.h"
#include "tests/testing/grpc_status.h"

namespace triggerfish {
namespace {

using testing::Client;
using testing::ErrorReason;
using testing::ServerProcess;

// A tmpfs of `size` mounted on a fresh directory, unmounted and removed on
// destruction.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(const std::string& size) {
    char pattern[] = "/tmp/triggerfish-full-XXXXXX";
    dir_ = mkdtemp(pattern);
    const std::string options = "size=" + size + ",mode=0700";
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallFileSystem() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    rmdir(dir_.c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }
  // Gives the file system `size` of room, keeping its files.
  bool Resize(const std::string& size) {
    const std::string options = "size=" + size + ",mode=0700";
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  std::string dir_;
  std::string error_;
  bool mounted_ = false;
};

v1::Event BigEvent(const std::string& id) {
  v1::Event event;
  event.set_id(id);
  event.set_type("ticket.created");
  event.mutable_ticket()->set_id("T-" + id);
  event.mutable_ticket()->set_subject("Disk full " + id);
  event.mutable_comment()->set_body(std::string(8 * 1024, 'x'));
  return event;
}

TEST(DiskFullTest, AFullDiskRefusesEventsCleanlyAndLosesNothingAcknowledged) {
  SmallFileSystem disk("640k");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root, as in CI): " << disk.error();
  }
  ServerProcess server({"--config", testing::WriteConfig(testing::BundledAndRecorderPluginDirs())});
  server.set_store_path(disk.dir() + "/triggerfish.db");
  ASSERT_TRUE(server.Start()) << server.log();
  Client client(server.Channel());
  ASSERT_TRUE(
      client
          .CreateRule("tag", R"({"name": "tag", "trigger": {"event_types": ["ticket.created"]},
                                 "actions": [{"type": "ticket.add_tags",
                                              "params": {"tags": ["seen"]}}]})")
          .ok());

  // Four publishers until each has been refused: the group commit puts
  // their events in shared transactions, so a refused transaction may hold
  // several events.
  constexpr int kPublishers = 4;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::vector<std::string> refused_ids;
  std::vector<grpc::Status> refusals;
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p, channel = server.Channel()] {
      Client mine(channel);
      for (int n = 0; n < 400; ++n) {
        const std::string id = "P" + std::to_string(p) + "-" + std::to_string(n);
        v1::PublishEventResponse response;
        grpc::Status status = mine.Publish(BigEvent(id), &response);
        std::lock_guard lock(mu);
        if (status.ok()) {
          acknowledged.push_back(id);
          continue;
        }
        refused_ids.push_back(id);
        refusals.push_back(status);
        return;
      }
    });
  }
  for (auto& t : publishers) t.join();
  ASSERT_EQ(refusals.size(), size_t{kPublishers}) << "the disk never filled up";
  ASSERT_GE(acknowledged.size(), 8u) << refusals[0].error_message() << "\n" << server.log();
  EXPECT_NE(
      server.log().find("event(s) refused: store commit failed (the disk holding the store is "
                        "full)"),
      std::string::npos)
      << server.log();
  // The operator reads why in the log.
  EXPECT_NE(server.log().find(
                "event(s) refused: store commit failed (the disk holding the store is full)"),
            std::string::npos)
      << server.log();
  for (const grpc::Status& refused : refusals) {
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
    EXPECT_EQ(ErrorReason(refused), "STORE_FULL") << refused.error_message();
    EXPECT_NE(refused.error_message().find("the disk holding the store is full"), std::string::npos)
        << refused.error_message();
  }
  const std::string first_refused = refused_ids[0];
  // One at a time, what space a refused transaction left still takes an
  // event or a few; then the disk refuses again, the same way.
  grpc::Status refused_again;
  for (int i = 0; i < 50 && refused_again.ok(); ++i) {
    const std::string id = "again-" + std::to_string(i);
    v1::PublishEventResponse response;
    refused_again = client.Publish(BigEvent(id), &response);
    (refused_again.ok() ? acknowledged : refused_ids).push_back(id);
  }
  EXPECT_EQ(refused_again.error_code(), grpc::StatusCode::UNAVAILABLE)
      << refused_again.error_message();
  EXPECT_EQ(ErrorReason(refused_again), "STORE_FULL") << refused_again.error_message();
  // The server still serves, and reads work.
  EXPECT_TRUE(client.Serving());
  v1::TicketRecord record;
  ASSERT_TRUE(client.GetTicket("T-" + acknowledged.back(), &record).ok());
  EXPECT_EQ(record.last_event_id(), acknowledged.back());
  v1::TicketRecord none;
  EXPECT_EQ(client.GetTicket("T-" + first_refused, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Room again: the refused event runs as new (it left nothing behind).
  ASSERT_TRUE(disk.Resize("64m")) << std::strerror(errno);
  v1::PublishEventResponse again;
  grpc::Status status = client.Publish(BigEvent(first_refused), &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(again.duplicate());
  ASSERT_EQ(again.fired_rules_size(), 1);
  acknowledged.push_back(first_refused);

  // After a kill -9, every acknowledged event is there, once.
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  Client after(server.Channel());
  for (const std::string& id : acknowledged) {
    v1::PublishEventResponse response;
    grpc::Status s = after.Publish(BigEvent(id), &response);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
    EXPECT_TRUE(response.duplicate()) << id;
    ASSERT_EQ(response.fired_rules_size(), 1) << id;
    EXPECT_EQ(response.fired_rules(0).rule_id(), "tag");
  }
  // The ones refused and never published again are not.
  for (size_t i = 1; i < refused_ids.size(); ++i) {
    v1::PublishEventResponse fresh;
    ASSERT_TRUE(after.Publish(BigEvent(refused_ids[i]), &fresh).ok()) << refused_ids[i];
    EXPECT_FALSE(fresh.duplicate()) << refused_ids[i];
  }
}

}  // namespace
}  // namespace triggerfish
