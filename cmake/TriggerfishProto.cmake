# triggerfish_proto_library(NAME
#   ROOT <dir the .proto paths are relative to>
#   PROTOS <a.proto ...>          # messages
#   GRPC_PROTOS <b.proto ...>     # subset that declares services
#   [DEPENDS <other proto library>]
#   [IMPORT_DIRS <dir ...>])
# Generates C++ (and gRPC) code into the build tree and builds it as a
# static library whose include directory is the generated root.
function(triggerfish_proto_library name)
  cmake_parse_arguments(ARG "" "ROOT" "PROTOS;GRPC_PROTOS;DEPENDS;IMPORT_DIRS" ${ARGN})
  set(gen_dir ${CMAKE_CURRENT_BINARY_DIR}/${name}_gen)
  file(MAKE_DIRECTORY ${gen_dir})
  get_target_property(grpc_cpp_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(import_args -I ${ARG_ROOT} -I ${Protobuf_INCLUDE_DIRS})
  foreach(dir ${ARG_IMPORT_DIRS})
    list(APPEND import_args -I ${dir})
  endforeach()
  set(sources)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${gen_dir}/${base}.pb.cc ${gen_dir}/${base}.pb.h)
    set(plugin_args)
    if(proto IN_LIST ARG_GRPC_PROTOS)
      list(APPEND outs ${gen_dir}/${base}.grpc.pb.cc ${gen_dir}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${gen_dir} --plugin=protoc-gen-grpc=${grpc_cpp_plugin})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc ${import_args} --cpp_out=${gen_dir} ${plugin_args}
        ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND sources ${outs})
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${gen_dir}>)
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPENDS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
