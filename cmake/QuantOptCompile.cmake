# quantopt_compile(<target> MODEL <model.mlir|model.onnx> [NAME <prefix>]
#                  [TARGET host|vnni|generic] [PARALLEL] [ARGS <quant-compile args>...])
#
# Compiles a model with quant-compile into a static library and its header
# in the build tree, and makes <target> an INTERFACE library that links the
# library and puts the header (<prefix>.h; prefix defaults to <target>) on
# the include path:
#
#   quantopt_compile(digits MODEL digits_int8.mlir)
#   add_executable(app app.c)
#   target_link_libraries(app PRIVATE digits)   # #include "digits.h"
function(quantopt_compile target)
  cmake_parse_arguments(ARG "PARALLEL" "MODEL;NAME;TARGET" "ARGS" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "quantopt_compile(${target}): MODEL is required")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET host)
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.quantopt")
  set(library "${dir}/lib${ARG_NAME}.a")
  set(header "${dir}/${ARG_NAME}.h")
  set(flags --name=${ARG_NAME} --target=${ARG_TARGET} ${ARG_ARGS})
  if(ARG_PARALLEL)
    list(APPEND flags --parallel)
  endif()
  add_custom_command(OUTPUT "${library}" "${header}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
    COMMAND QuantOpt::quant-compile "${model}" -o "${library}"
            --header "${header}" ${flags}
    DEPENDS "${model}"
    COMMENT "quant-compile ${ARG_MODEL} -> lib${ARG_NAME}.a"
    VERBATIM)
  add_custom_target(${target}_quant_compile DEPENDS "${library}" "${header}")
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_quant_compile)
  target_include_directories(${target} INTERFACE "${dir}")
  target_link_libraries(${target} INTERFACE "${library}" m)
  if(ARG_PARALLEL)
    target_link_libraries(${target} INTERFACE "${QUANTOPT_OPENMP_LIBRARY}")
  endif()
endfunction()
