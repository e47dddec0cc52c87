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
  # A consumer of the installed package compiles QuantOpt's headers, which
  # include MLIR's: it needs MLIR's include directories and LLVM's
  # definitions as much as ours.
  target_include_directories(${name} PUBLIC
    $<INSTALL_INTERFACE:include>)
  target_include_directories(${name} SYSTEM PUBLIC
    "$<INSTALL_INTERFACE:${MLIR_INCLUDE_DIRS};${LLVM_INCLUDE_DIRS}>")
  list(TRANSFORM LLVM_DEFINITIONS_LIST REPLACE "^-D" "" OUTPUT_VARIABLE definitions)
  target_compile_definitions(${name} PUBLIC
    "$<INSTALL_INTERFACE:${definitions}>")
  if(NOT LLVM_ENABLE_RTTI)
    target_compile_options(${name} PUBLIC "$<INSTALL_INTERFACE:-fno-rtti>")
  endif()
  install(TARGETS ${name} EXPORT ${QUANTOPT_EXPORT_SET}
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib RUNTIME DESTINATION bin)
  set_property(GLOBAL APPEND PROPERTY QUANTOPT_EXPORTED_TARGETS ${name})
endfunction()

# Installed tools find libMLIR/libLLVM where this build found them (Debian
# keeps them in /usr/lib/llvm-22/lib, outside the default search path), so
# they run from the install prefix with no LD_LIBRARY_PATH.
function(quantopt_set_install_rpath target)
  set_target_properties(${target} PROPERTIES
    INSTALL_RPATH "\$ORIGIN/../lib;${LLVM_LIBRARY_DIR}")
endfunction()
