{
  "targets": [
    {
      "target_name": "auraio",
      "sources": ["cpp/addon.cc", "cpp/host.cc", "cpp/engine.cc", "cpp/ring.cc", "cpp/ops.cc", "cpp/group.cc", "cpp/readmany.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc": ["-std=gnu++20", "-O3", "-fexceptions"],
      "ldflags": ["-pthread"],
      "libraries": ["-luring"]
    }
  ]
}
