#pragma once
// The REST service's configuration (docs/rest.md has the file format and an example): contexts
// (a name the clients use, the store that serves it and the context inside that store, public
// or token-protected), profiles, limits, tokens. JSON.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace specmill::rest {

struct context_config {
  std::string name;                 // what clients send as `context`
  std::filesystem::path store;
  std::string store_context;        // the context inside the store (default: name)
  std::string description;
  bool is_public = true;            // false: a token from `tokens` (or the admin token) is needed
  std::vector<std::string> tokens;
};

struct profile_config {
  std::string name = "default";
  std::string description = "specmill service";
};

struct limits_config {
  size_t max_ids = 1'000'000;                  // IDs in one request
  size_t max_body_bytes = size_t(256) << 20;   // request body
  uint64_t max_response_bytes = uint64_t(64) << 30;
  double request_seconds = 600;                // socket read/write timeout
  double query_seconds = 10;                   // SQL constraint time limit
  int64_t max_query_rows = 1'000'000;
  int64_t max_image_pixels = int64_t(1) << 26; // rendered images
};

struct service_config {
  std::string host = "127.0.0.1";
  int port = 6998;
  int threads = 0;  // 0: hardware threads x 2 (requests block on I/O)
  std::vector<context_config> contexts;
  std::vector<profile_config> profiles{profile_config{}};
  limits_config limits;
  std::string admin_token;  // /shutdown and /debug; empty: those are refused
  std::string default_context;
};

// Reads and validates a JSON config; invalid_argument naming the problem.
service_config load_service_config(const std::filesystem::path& file);
// One store served alone: each of its contexts public, the first (or sdss_dr16) the default.
service_config config_for_store(const std::filesystem::path& store);

}  // namespace specmill::rest
