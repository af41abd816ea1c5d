# Cross-compiling latchwatch.exe for Windows x64 with Debian's mingw-w64 (posix threads variant,
# for std::thread and std::mutex): `make windows`. Every library comes from a Debian package; the
# header-only ones (Boost, nlohmann_json, spdlog over fmt) are used from /usr/include through
# cmake/windows-deps.cmake, never by putting /usr/include itself on the path.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Tests run the .exe files under wine64 (Debian's), which CTest uses as the emulator.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
