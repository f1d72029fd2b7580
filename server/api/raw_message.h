#pragma once

// Messages to and from the bytes of a raw gRPC method (one registered with
// WithRawCallbackMethod_*), for methods that parse their own requests.

#include "google/protobuf/message_lite.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace triggerfish::server::api {

// False if `bytes` is not a valid `message` (e.g. invalid UTF-8 in a string
// field, nesting deeper than protobuf's limit).
inline bool ParseMessage(const grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message) {
  grpc::ByteBuffer copy(bytes);  // shares the slices
  grpc::ProtoBufferReader reader(&copy);
  return message->ParseFromZeroCopyStream(&reader);
}

// Replaces what `bytes` held.
inline void SerializeMessage(const google::protobuf::MessageLite& message,
                             grpc::ByteBuffer* bytes) {
  bytes->Clear();  // the writer fills an empty buffer
  bool own_buffer = false;
  grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(message, bytes,
                                                                                 &own_buffer);
}

}  // namespace triggerfish::server::api
