#pragma once

// One EventService.PublishEvents stream on gRPC's callback API: no thread
// per stream. Each event read starts through the pipeline at once; its
// acknowledgement (result or error) is written when it is committed, in the
// order the events were read. At most `window` events are unacknowledged:
// beyond that the reactor stops reading, and HTTP/2 flow control pushes back
// on the client. A write that fails (the client went away) ends the stream
// with CANCELLED once every started event has been answered by the pipeline;
// started events are committed either way. Messages are parsed here: one
// that does not parse is answered with INVALID_ARGUMENT (and no event id)
// and the stream goes on.

#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/common/tsan_hand_off.h"
#include "server/events/event_pipeline.h"
#include "triggerfish/v1/event_service.pb.h"

namespace triggerfish::server::api {

class PublishEventsReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Deletes itself when the stream is done. Every event of the stream gets
  // `trace_id` (the stream's W3C trace id, or "").
  PublishEventsReactor(events::EventPipeline* pipeline, std::string tenant, int window,
                       std::string trace_id = {});

  // A stream that ends at once with `status`.
  static grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Reject(
      const grpc::Status& status);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override {
    HandOffAcquire(this);
    delete this;
  }

 private:
  struct Slot {
    bool ready = false;
    v1::PublishEventsResponse response;
  };
  void OnResult(const std::shared_ptr<Slot>& slot, events::PublishResult result);
  // Starts the next write, the next read or the finish, whichever is due.
  // Called with mu_ held; releases it.
  void Advance(std::unique_lock<std::mutex>& lock);

  events::EventPipeline* const pipeline_;
  const std::string tenant_;
  const std::string trace_id_;
  const size_t window_;

  std::mutex mu_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer writing_response_;
  std::deque<std::shared_ptr<Slot>> slots_;  // unacknowledged events, in read order
  bool reading_ = false;                     // a read is outstanding
  bool reads_done_ = false;                  // the client half-closed, or reads failed
  bool writing_ = false;                     // a write is outstanding
  bool write_failed_ = false;
  bool finished_ = false;
};

}  // namespace triggerfish::server::api
