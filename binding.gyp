# The CPU addon that `npm install` builds. Sources come from native/sources.json (CMakeLists.txt
# reads the same list). ISA-specific files are separate static libraries with their own flags, in
# each compiler's spelling (GCC/Clang cflags, Xcode's xcode_settings, MSVC's /arch): the x86 ones on
# x86 only, the NEON ones (no flags: Advanced SIMD is baseline AArch64) on arm64 only, and on any
# other architecture just the scalar kernels. Run-time dispatch (cpu_features.h) picks among them.
{
  "variables": {
    "src_list": "node -p \"require('./native/sources.json')[process.argv[1]].join(' ')\"",
    "avx2_flags": ["-mavx2", "-mfma"],
    "avx512_flags": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma"]
  },
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
    "cflags!": ["-fno-exceptions"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "xcode_settings": {
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": {
      "VCCLCompilerTool": {
        "ExceptionHandling": 1,
        "AdditionalOptions": ["/std:c++17", "/O2"]
      }
    },
    "conditions": [
      # The prebuilt addon binds to old glibc/libstdc++ symbol versions, so it loads on older distros.
      ["OS=='linux' and target_arch=='x64'", {
        "cflags_cc": ["-include", "<(module_root_dir)/native/compat/glibc_symbol_versions.h"]
      }],
      # No a*b + c fused behind the code's back where the baseline ISA has an FMA (arm64): the scalar
      # kernels keep the bits they have on x86 (CMakeLists.txt says why).
      ["target_arch!='x64' and target_arch!='ia32'", {
        "cflags_cc": ["-ffp-contract=off"],
        "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]}
      }]
    ]
  },
  "targets": [
    {
      "target_name": "atrous",
      "sources": ["<!@(<(src_list) kernels)", "<!@(<(src_list) napi)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {"dependencies": ["atrous_avx2", "atrous_avx512"]}],
        ["target_arch=='arm64'", {"sources": ["<!@(<(src_list) kernelsNeon)"]}],
        ["OS=='linux'", {"libraries": ["-lpthread", "-ldl"]}]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "atrous_avx2",
          "type": "static_library",
          "sources": ["<!@(<(src_list) kernelsAvx2)"],
          "cflags_cc": ["<@(avx2_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(avx2_flags)"]},
          "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX2"]}}
        },
        {
          "target_name": "atrous_avx512",
          "type": "static_library",
          "sources": ["<!@(<(src_list) kernelsAvx512)"],
          "cflags_cc": ["<@(avx512_flags)"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["<@(avx512_flags)"]},
          "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/arch:AVX512"]}}
        }
      ]
    }]
  ]
}
