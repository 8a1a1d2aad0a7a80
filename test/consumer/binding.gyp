# An outside addon consuming memview's C ABI. The two lines that matter to a user:
#   include_dirs: require('memview').include   (memview.h; nothing to link)
#   NAPI_VERSION >= 8
{
  "targets": [
    {
      "target_name": "consumer",
      "sources": ["src/consumer.c", "src/consumer_cxx.cc", "src/future_header.c"],
      "include_dirs": ["<!(node -p \"require('memview').include\")"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=c99", "-Wall", "-Wextra", "-Werror"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++11", "-Wall", "-Wextra", "-Werror"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c99", "-Wall", "-Wextra", "-Werror"],
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++11", "-Wall", "-Wextra", "-Werror"]
      }
    }
  ]
}
