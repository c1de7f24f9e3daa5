#pragma once
// The REST service's configuration (docs/rest.md has the file format and an example): contexts
// (a name the clients use, the store that serves it and the context inside that store, public
// or token-protected), profiles, limits, tokens. JSON.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/launch/backend.hpp"

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

// Defaults are what an operator of a public service would pick; docs/rest.md and
// docs/reliability.md say why each exists.
struct limits_config {
  size_t max_ids = 1'000'000;                  // IDs in one request
  size_t max_body_bytes = size_t(256) << 20;   // request body; a longer Content-Length is 413 unread
  uint64_t max_response_bytes = uint64_t(16) << 30;
  double request_seconds = 60;                 // a socket write (or read) making no progress
  double request_budget_seconds = 300;         // the whole request, from its first byte
  double header_seconds = 10;                  // request line and headers, from the first byte
  double body_seconds = 120;                   // the body, after the headers
  double keep_alive_seconds = 5;               // an idle connection between requests
  size_t max_headers = 100;
  size_t max_header_bytes = size_t(64) << 10;  // request line and headers together
  size_t max_ranges = 8;                       // ranges in one Range header; more is 416
  int listen_backlog = 1024;                   // connections waiting for accept()
  double stop_grace_seconds = 2;               // on SIGTERM, for replies already in flight
  double query_seconds = 10;                   // SQL constraint time limit
  int64_t max_query_rows = 1'000'000;
  int64_t max_image_pixels = int64_t(1) << 26; // rendered images
  // Engine work (getSpec, photometry, stack, images) at once; the others wait their turn within
  // their request budget. 0: twice the cores, at least 4 (a job also waits on its client, so a
  // few more than cores keep the CPUs busy; a slow reader holds its slot until
  // request_seconds without progress or its budget). 16 aligned 2,000-spectrum requests at once
  // once held 20 GB.
  int engine_jobs = 0;
  // One column of one engine window (get's double-buffered reader holds two windows of every
  // requested column, plus the interleaved reply): what bounds a job's memory.
  size_t job_window_bytes = size_t(8) << 20;
};

struct service_config {
  std::string host = "127.0.0.1";
  int port = 6998;
  int threads = 0;  // 0: max(64, 4 x hardware threads): requests mostly wait on I/O or clients
  std::vector<context_config> contexts;
  std::vector<profile_config> profiles{profile_config{}};
  limits_config limits;
  std::string admin_token;  // /shutdown and /debug; empty: those are refused
  std::string default_context;
  // The engine's backend, chosen once at start-up (serve --device, config "device": auto, cpu
  // or cuda) and used by every engine job of the service.
  std::string device = "auto";
  backend engine_backend = backend::cpu;  // resolved from `device` when the service starts
  // The web page's folder (/ui); empty: <executable's folder>/../share/specmill/web, where the
  // build puts web/ and its npm files (docs/web.md).
  std::filesystem::path ui_dir;
};

// Reads and validates a JSON config; invalid_argument naming the problem.
service_config load_service_config(const std::filesystem::path& file);
// One store served alone: each of its contexts public, the first (or sdss_dr16) the default.
service_config config_for_store(const std::filesystem::path& store);

}  // namespace specmill::rest
