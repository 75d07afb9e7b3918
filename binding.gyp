{
  "variables": {
    # CONVCORE_PORTABLE=1 (npm run prebuild): a binary for every glibc from 2.28 and every
    # libstdc++ from GCC 8's on, its newer symbol versions pinned to older ones (native/glibc_floor.h).
    "convcore_portable%": "<!(node -p \"process.env.CONVCORE_PORTABLE === '1' ? 1 : 0\")",
    # 1 in a checkout (it has bench/; the npm package does not): build the benchmark's addon.
    "convcore_bench%": "<!(node -p \"require('fs').existsSync('bench') ? 1 : 0\")"
  },
  "target_defaults": {
    "conditions": [
      ["OS=='linux' and convcore_portable==1", {
        "cflags_cc": ["-include", "<(module_root_dir)/native/glibc_floor.h"]
      }]
    ]
  },
  "targets": [
    {
      # The shipped addon: the N-API layer (native/addon.cc, one file per domain in
      # native/bindings/) over the kernels.
      "target_name": "convcore",
      "sources": [
        "native/addon.cc",
        "native/bindings/exports.cc",
        "native/bindings/convolution.cc",
        "native/bindings/layers.cc",
        "native/bindings/optimisers.cc",
        "native/bindings/image.cc",
        "native/bindings/elementwise.cc",
        "native/bindings/channel_norm.cc",
        "native/bindings/runtime.cc",
        "native/napi_args.cc",
        "native/elementwise_args.cc",
        "native/malloc_cache.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all",
        "convcore_kernels"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-pthread", "-ffp-contract=off"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["OS=='linux' and convcore_portable==1", {
          "sources": ["native/glibc_floor.cc"]
        }]
      ],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    },
    {
      # The kernels at the baseline ISA, the dispatch table and the per-ISA engines.
      # -ffp-contract=off: no a*b+c fused where the source does not say so. x86's baseline
      # has no FMA, but arm64's has, and GCC and clang would fuse there: the element-wise
      # kernels and the generic engine must give the reference's bits on every CPU.
      # -fno-math-errno: sqrt without an errno check vectorises (Adam's step); no kernel
      # reads errno, and the results are the same.
      "target_name": "convcore_kernels",
      "type": "static_library",
      "sources": [
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
      "dependencies": ["convcore_x86", "convcore_arm"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-pthread", "-fPIC", "-ffp-contract=off", "-fno-math-errno"],
      "cflags_cc!": ["-fno-exceptions"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"]
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
      "target_name": "convcore_arm",
      "type": "static_library",
      "conditions": [
        ["target_arch=='arm64'", {
          "sources": ["native/kernels/engine_neon.cc"],
          "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fvisibility=hidden", "-fPIC"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno"] },
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17", "/O2"] } }
        }, {
          "sources": ["native/kernels/engine_arm_unavailable.cc"],
          "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"]
        }]
      ],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ],
  "conditions": [
    ["convcore_bench==1", {
      "targets": [
        {
          # The benchmark's addon (built in a checkout only; .ci/prebuild.mjs ships convcore.node alone):
          # the measured FMA peak and copy bandwidth.
          "target_name": "convcore_bench",
          "sources": ["native/bench/bench_addon.cc", "native/napi_args.cc"],
          "dependencies": [
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except_all",
            "convcore_kernels"
          ],
          "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
          "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-pthread", "-ffp-contract=off"],
          "ldflags": ["-pthread"],
          "conditions": [
            ["OS=='linux' and convcore_portable==1", {
              "sources": ["native/glibc_floor.cc"]
            }]
          ],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"]
          },
          "msvs_settings": {
            "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
          }
        }
      ]
    }],
    # The x86 levels exist only in x86 builds (an arm64 compiler knows no -mavx2).
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
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
    }]
  ]
}
