# Rewrites one .cu file for the CUDA emulator (cuda_runtime.h here): every
# kernel<<<grid, block, shared, stream>>>(args) becomes
# ::atrous_emu::launch(::atrous_emu::Config(grid, block, shared, stream), "kernel",
#                      [&](auto... a_) { kernel(a_...); }, args)
# (a lambda, not a function pointer: a kernel template's arguments are deduced from the launch's),
# on the same line, under a #line that keeps compiler and sanitizer reports pointing at the original.
# Usage: cmake -DIN=<file.cu> -DOUT=<file.cpp> -P emulate_cuda_source.cmake
file(READ "${IN}" text)
set(name "([A-Za-z_][A-Za-z0-9_]*(<[A-Za-z0-9_, ]*>)?)")
string(REGEX REPLACE "${name}[ \t\r\n]*<<<([^>]*)>>>[ \t\r\n]*\\("
       "::atrous_emu::launch(::atrous_emu::Config(\\3), \"\\1\", [&](auto... a_) { \\1(a_...); }, " text "${text}")
string(REGEX REPLACE "(::atrous_emu::launch\\([^;]*\\(a_\\.\\.\\.\\); }), \\)" "\\1)" text "${text}")
if(text MATCHES "<<<")
  message(FATAL_ERROR "${IN}: a kernel launch the emulator's rewrite does not understand")
endif()
file(WRITE "${OUT}" "#line 1 \"${IN}\"\n${text}")
