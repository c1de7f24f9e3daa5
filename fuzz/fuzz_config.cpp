// The REST service's JSON configuration (api/rest/rest_config.hpp), read from a file as `serve
// --config` does: invalid_argument for anything that is not a valid config, and a loaded
// config holds what the loader promises.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "api/rest/rest_config.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  // /dev/shm where there is one: rewriting a file on disk a thousand times a second is slow.
  static const fs::path file = [] {
    const fs::path dir = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    const fs::path f = dir / ("specmill-fuzz-config-" + std::to_string(getpid()) + ".json");
    std::atexit([] { fs::remove(file); });
    return f;
  }();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  }
  specmill::fuzz::expect_errors([&] {
    const auto c = specmill::rest::load_service_config(file);
    if (c.contexts.empty() || c.profiles.empty() || c.port < 0 || c.port > 65535) std::abort();
  });
  return 0;
}
