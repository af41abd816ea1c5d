# The Windows build's dependencies, from the same Debian packages as the Linux build.
#
# Boost (Asio, Beast), nlohmann_json, spdlog and fmt are header-only here; their headers are
# platform-neutral, but /usr/include also holds glibc's, so only their own folders are exposed,
# through links in the build tree. There is no OpenSSL for mingw in Debian: TLS and HMAC go through
# Windows' own WinHTTP and CNG (bcrypt). GoogleTest is built from Debian's source package.
set(host_headers ${CMAKE_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${host_headers})
foreach(dir boost nlohmann fmt spdlog)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} missing: run packaging/install-deps.sh windows")
  endif()
  file(CREATE_LINK /usr/include/${dir} ${host_headers}/${dir} SYMBOLIC)
endforeach()

add_library(Boost::headers INTERFACE IMPORTED)
set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${host_headers}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${host_headers})
# Windows 10 / Server 2016 and newer: every Windows image Azure endorses for GPA.
target_compile_definitions(Boost::headers INTERFACE _WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX)
target_link_libraries(Boost::headers INTERFACE ws2_32 mswsock)
add_library(nlohmann_json::nlohmann_json ALIAS Boost::headers)
add_library(fmt::fmt-header-only INTERFACE IMPORTED)
target_compile_definitions(fmt::fmt-header-only INTERFACE FMT_HEADER_ONLY=1)
target_link_libraries(fmt::fmt-header-only INTERFACE Boost::headers)
add_library(spdlog::spdlog_header_only INTERFACE IMPORTED)
target_compile_definitions(spdlog::spdlog_header_only INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
target_link_libraries(spdlog::spdlog_header_only INTERFACE fmt::fmt-header-only)
set_target_properties(spdlog::spdlog_header_only PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${host_headers})
add_library(spdlog::spdlog ALIAS spdlog::spdlog_header_only)

if(LATCHWATCH_BUILD_TESTS)
  # Debian's googletest package ships the sources; built here with the cross compiler.
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  # (googletest's own CMake defines GTest::gtest and GTest::gtest_main.)
endif()
