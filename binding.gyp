{
  "targets": [
    {
      "target_name": "rpmcompose_solv",
      "sources": ["native/addon.cc", "native/pool.cc", "native/solver.cc", "native/convert.cc", "native/files.cc", "native/codec.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "libraries": ["<!@(pkg-config --libs libsolvext libsolv)", "-llzma", "-lzstd", "-lbz2"],
      "cflags_cc": ["<!@(pkg-config --cflags libsolv)", "-std=c++17"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
