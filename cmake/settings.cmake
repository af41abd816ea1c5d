# Compiler settings shared by every target: linked as an INTERFACE library, never set globally.
add_library(latchwatch_settings INTERFACE)
add_library(latchwatch::settings ALIAS latchwatch_settings)
target_compile_features(latchwatch_settings INTERFACE cxx_std_17)
target_compile_options(latchwatch_settings INTERFACE -Wall -Wextra -Wpedantic)
# Headers are included from the repository root: "probes/fabric/probe_result.h".
target_include_directories(latchwatch_settings INTERFACE ${PROJECT_SOURCE_DIR})
target_compile_definitions(latchwatch_settings INTERFACE
  LATCHWATCH_VERSION="${PROJECT_VERSION}"
  $<$<NOT:$<CONFIG:Release>>:JSON_DIAGNOSTICS=1>)
# GCC 12 at -O2 reports false -Warray-bounds inside libstdc++'s red-black tree as nlohmann::json
# instantiates it (a known GCC 12 false positive); every other -Wall warning stays on.
target_compile_options(latchwatch_settings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_GREATER_EQUAL:$<CXX_COMPILER_VERSION>,12>>:-Wno-array-bounds>)
if(LATCHWATCH_WARNINGS_AS_ERRORS)
  target_compile_options(latchwatch_settings INTERFACE -Werror)
endif()
if(LATCHWATCH_SANITIZE)
  target_compile_options(latchwatch_settings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(latchwatch_settings INTERFACE -fsanitize=address,undefined)
endif()
if(LATCHWATCH_TSAN)
  target_compile_options(latchwatch_settings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(latchwatch_settings INTERFACE -fsanitize=thread)
endif()
if(LATCHWATCH_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LATCHWATCH_BUILD_FUZZERS needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage instrumentation for every library; the fuzz targets add the libFuzzer main.
  target_compile_options(latchwatch_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
  target_link_options(latchwatch_settings INTERFACE -fsanitize=address,undefined)
endif()

# spdlog as the rest of the code sees it: the shared library, or in the lean build its header-only
# form over header-only fmt (both from the same Debian packages), so only what is used is linked.
add_library(latchwatch_spdlog INTERFACE)
add_library(latchwatch::spdlog ALIAS latchwatch_spdlog)
if(LATCHWATCH_LEAN)
  get_target_property(spdlog_includes spdlog::spdlog_header_only INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(latchwatch_spdlog SYSTEM INTERFACE ${spdlog_includes})
  target_compile_definitions(latchwatch_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
  target_link_libraries(latchwatch_spdlog INTERFACE fmt::fmt-header-only Threads::Threads)
  # Functions and data in sections of their own, so that the linker can drop the unused ones.
  target_compile_options(latchwatch_settings INTERFACE -ffunction-sections -fdata-sections)
else()
  target_link_libraries(latchwatch_spdlog INTERFACE spdlog::spdlog)
endif()
