# Installs the SDK component of the Triggerfish build into a fresh prefix
# and builds sdk/examples/escalate against that prefix alone, as a third
# party would. Run with cmake -P; variables: BUILD_DIR, PREFIX, SOURCE, OUT,
# GENERATOR, CXX.
foreach(var BUILD_DIR PREFIX SOURCE OUT GENERATOR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_example.cmake: ${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${OUT})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component sdk --prefix ${PREFIX})
run(${CMAKE_COMMAND} -G ${GENERATOR} -S ${SOURCE} -B ${OUT}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${PREFIX}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build ${OUT} -j 1)
if(NOT EXISTS ${OUT}/escalate.so)
  message(FATAL_ERROR "the example did not produce ${OUT}/escalate.so")
endif()

# The pkg-config file must point into the prefix it was installed to.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/share/pkgconfig)
  execute_process(COMMAND ${PKG_CONFIG} --cflags-only-I triggerfish-sdk
                  OUTPUT_VARIABLE cflags RESULT_VARIABLE rc)
  file(REAL_PATH ${PREFIX}/include include_dir)
  if(NOT rc EQUAL 0 OR NOT cflags MATCHES "-I${PREFIX}/share/pkgconfig/../../include|-I${include_dir}")
    message(FATAL_ERROR "pkg-config triggerfish-sdk gave '${cflags}'")
  endif()
endif()
