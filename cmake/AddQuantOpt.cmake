# Helpers that add a QuantOpt library and its install/export in one call.
#
# QuantOpt links MLIR one way only: the shared libMLIR.so + libLLVM.so that
# Debian ships (LLVM_LINK_LLVM_DYLIB is ON there). Mixing in the static MLIR*
# component libraries would register command-line options twice.

set(QUANTOPT_EXPORT_SET QuantOptTargets)
set_property(GLOBAL PROPERTY QUANTOPT_EXPORTED_TARGETS "")

# add_quantopt_library(name sources... [DEPENDS targets...] [LINK_LIBS libs...])
function(add_quantopt_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DISABLE_INSTALL
    EXCLUDE_FROM_LIBMLIR
    DEPENDS ${ARG_DEPENDS}
    LINK_LIBS PUBLIC MLIR ${ARG_LINK_LIBS})
  target_include_directories(${name} PUBLIC
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT ${QUANTOPT_EXPORT_SET}
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib RUNTIME DESTINATION bin)
  set_property(GLOBAL APPEND PROPERTY QUANTOPT_EXPORTED_TARGETS ${name})
endfunction()
