# The CPU addon that `npm install` builds. Sources come from native/sources.json (CMakeLists.txt
# reads the same list). ISA-specific files are separate static libraries with their own flags.
{
  "variables": {
    "src_list": "node -p \"require('./native/sources.json')[process.argv[1]].join(' ')\""
  },
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
    "cflags!": ["-fno-exceptions"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "conditions": [
      # The prebuilt addon binds to old glibc/libstdc++ symbol versions, so it loads on older distros.
      ["OS=='linux' and target_arch=='x64'", {
        "cflags_cc": ["-include", "<(module_root_dir)/native/compat/glibc_symbol_versions.h"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "atrous_avx2",
      "type": "static_library",
      "sources": ["<!@(<(src_list) kernelsAvx2)"],
      "cflags_cc": ["-mavx2", "-mfma"]
    },
    {
      "target_name": "atrous_avx512",
      "type": "static_library",
      "sources": ["<!@(<(src_list) kernelsAvx512)"],
      "cflags_cc": ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-mavx2", "-mfma"]
    },
    {
      "target_name": "atrous",
      "dependencies": ["atrous_avx2", "atrous_avx512"],
      "sources": ["<!@(<(src_list) kernels)", "<!@(<(src_list) napi)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["-lpthread", "-ldl"]
    }
  ]
}
