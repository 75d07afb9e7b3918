{
  "targets": [
    {
      "target_name": "convcore",
      "sources": [
        "native/addon.cc",
        "native/napi_args.cc",
        "native/malloc_cache.cc",
        "native/elementwise_args.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/channel_norm.cc",
        "native/kernels/conv_params.cc",
        "native/kernels/thread_pool.cc",
        "native/kernels/scratch.cc",
        "native/kernels/cpu_features.cc",
        "native/kernels/dispatch.cc",
        "native/kernels/conv_volume.cc",
        "native/kernels/padded_taps.cc",
        "native/kernels/matmul.cc",
        "native/kernels/small_image.cc",
        "native/kernels/pool2d.cc",
        "native/kernels/pointwise.cc",
        "native/kernels/image.cc",
        "native/kernels/engine_generic.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all",
        "convcore_x86"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    },
    {
      "target_name": "convcore_x86",
      "type": "static_library",
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": ["convcore_avx2", "convcore_avx512"]
        }, {
          "sources": ["native/kernels/engine_x86_unavailable.cc"]
        }]
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "cflags_cc!": ["-fno-exceptions"]
    },
    {
      "target_name": "convcore_avx2",
      "type": "static_library",
      "sources": ["native/kernels/engine_avx2.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fvisibility=hidden", "-fPIC", "-mavx2", "-mfma"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx2", "-mfma"] },
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2", "/arch:AVX2"] } }
    },
    {
      "target_name": "convcore_avx512",
      "type": "static_library",
      "sources": ["native/kernels/engine_avx512.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fvisibility=hidden", "-fPIC",
                    "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma",
                    "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
      # GCC 12's _mm512_undefined_* intrinsics read a variable before setting it
      # (GCC bug 105593, fixed in 13): a warning at every use, about its own header.
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"] },
      "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2", "/arch:AVX512"] } }
    }
  ]
}
