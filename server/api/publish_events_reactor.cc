#include "server/api/publish_events_reactor.h"

#include <algorithm>
#include <utility>

#include "google/rpc/status.pb.h"
#include "server/api/malformed_request.h"
#include "server/api/raw_message.h"
#include "server/api/status.h"
#include "server/common/tsan_hand_off.h"

namespace triggerfish::server::api {
namespace {

// The acknowledgement of an event that failed: the google.rpc.Status with
// the same details a unary call would carry.
void SetError(const grpc::Status& status, v1::PublishEventsResponse* response) {
  google::rpc::Status error;
  if (!error.ParseFromString(status.error_details())) {
    error.set_code(status.error_code());
    error.set_message(status.error_message());
  }
  *response->mutable_error() = std::move(error);
}

}  // namespace

PublishEventsReactor::PublishEventsReactor(events::EventPipeline* pipeline, std::string tenant,
                                           int window, std::string trace_id)
    : pipeline_(pipeline),
      tenant_(std::move(tenant)),
      trace_id_(std::move(trace_id)),
      window_(window < 1 ? 1 : window) {
  reading_ = true;
  HandOffRelease(this);
  StartRead(&request_);
}

void PublishEventsReactor::OnReadDone(bool ok) {
  HandOffAcquire(this);
  std::unique_lock lock(mu_);
  if (!ok) {
    reading_ = false;
    reads_done_ = true;
    return Advance(lock);
  }
  auto slot = std::make_shared<Slot>();
  slots_.push_back(slot);
  v1::PublishEventRequest request;
  const bool parsed = ParseMessage(request_, &request);
  request_.Clear();
  if (!parsed) {
    SetError(MalformedRequestStatus("/triggerfish.v1.EventService/PublishEvents"), &slot->response);
    slot->ready = true;
    reading_ = false;
    return Advance(lock);
  }
  slot->response.set_event_id(request.event().id());
  lock.unlock();
  v1::Event event = std::move(*request.mutable_event());
  // The next read starts only after this event has started, so the events of
  // a stream enter the pipeline in the order they were sent. The result may
  // come at once (an invalid event, a stored duplicate), on this thread.
  pipeline_->StartAsync(
      tenant_, std::move(event),
      [this, slot](events::PublishResult result) { OnResult(slot, std::move(result)); },
      std::nullopt, trace_id_);
  lock.lock();
  reading_ = false;
  Advance(lock);
}

void PublishEventsReactor::OnResult(const std::shared_ptr<Slot>& slot,
                                    events::PublishResult result) {
  if (result.ok()) {
    *slot->response.mutable_result() = std::move(*result);
  } else {
    SetError(ToGrpcStatus(result.status()), &slot->response);
  }
  std::unique_lock lock(mu_);
  slot->ready = true;
  Advance(lock);
}

void PublishEventsReactor::OnWriteDone(bool ok) {
  HandOffAcquire(this);
  std::unique_lock lock(mu_);
  writing_ = false;
  if (!ok) write_failed_ = true;
  Advance(lock);
}

void PublishEventsReactor::Advance(std::unique_lock<std::mutex>& lock) {
  if (finished_) {
    HandOffRelease(this);
    return;
  }
  // Answered events leave the window only once written, so a client that
  // stops reading its acknowledgements stops the stream's reads too.
  const bool write = !writing_ && !write_failed_ && !slots_.empty() && slots_.front()->ready;
  if (write) {
    writing_ = true;
    SerializeMessage(slots_.front()->response, &writing_response_);
    slots_.pop_front();
  }
  if (write_failed_) {
    // Nothing more is written; drop the answered events and wait for the
    // pipeline to answer the rest, whose callbacks refer to this reactor.
    std::erase_if(slots_, [](const std::shared_ptr<Slot>& slot) { return slot->ready; });
  }
  const bool read = !reading_ && !reads_done_ && !write_failed_ && slots_.size() < window_;
  if (read) reading_ = true;
  const bool all_answered = slots_.empty() && !writing_;
  const bool finish = all_answered && (write_failed_ || (reads_done_ && !reading_));
  // A failed write ends the stream; an outstanding read then fails too, but
  // Finish may not wait for it.
  if (finish) finished_ = true;
  const bool cancelled = write_failed_;
  lock.unlock();
  HandOffRelease(this);  // to the callbacks of what starts here
  if (write) StartWrite(&writing_response_);
  if (read) StartRead(&request_);
  if (finish) {
    Finish(cancelled ? grpc::Status(grpc::StatusCode::CANCELLED, "client went away")
                     : grpc::Status::OK);
  }
}

namespace {

// A stream refused before its first read (e.g. not authorized).
class RejectedStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RejectedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* PublishEventsReactor::Reject(
    const grpc::Status& status) {
  return new RejectedStream(status);
}

}  // namespace triggerfish::server::api
