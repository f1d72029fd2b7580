# triggerfish_add_plugin(<name> SOURCES <src>... [LINK_LIBRARIES <lib>...]
#                        [OUTPUT_DIRECTORY <dir>])
#
# Builds a Triggerfish plugin: a MODULE library named <name>.so (no "lib"
# prefix) linked against triggerfish::sdk, with hidden symbol visibility (only
# tf_plugin_entry_v1 is exported) and -Wl,--no-undefined so a missing symbol
# fails the build instead of the load. The target is named <name>; add
# compile options or libraries to it like to any other target.
include_guard(GLOBAL)

function(triggerfish_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIRECTORY" "SOURCES;LINK_LIBRARIES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "triggerfish_add_plugin(${name}): SOURCES is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "triggerfish_add_plugin(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()

  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE triggerfish::sdk ${ARG_LINK_LIBRARIES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_link_options(${name} PRIVATE LINKER:--no-undefined)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
