// specmill serve: the REST service (api/rest/rest_server.hpp). SIGTERM/SIGINT stop it: the listener
// closes, idle connections close, replies in flight get limits.stop_grace_seconds and streams
// stop at their next piece, so a slow reader cannot hold the stop (docs/reliability.md).
#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>

#include "api/cli/command.hpp"
#include "api/rest/rest_server.hpp"

namespace {

struct serve_args {
  std::filesystem::path config, store;
  std::string host;
  int port = -1;
  int threads = -1;
  std::string admin_token;
  std::string device;
};

void run(const serve_args& a) {
  using namespace specmill;
  SPECMILL_EXPECTS(a.config.empty() != a.store.empty(), "give --config FILE or --store DIR (one of them)");
  rest::service_config cfg = a.config.empty() ? rest::config_for_store(a.store) : rest::load_service_config(a.config);
  if (!a.host.empty()) cfg.host = a.host;
  if (a.port >= 0) cfg.port = a.port;
  if (a.threads >= 0) cfg.threads = a.threads;
  if (!a.admin_token.empty()) cfg.admin_token = a.admin_token;
  if (!a.device.empty()) cfg.device = a.device;
  // Once, here: every engine job of the service runs on this backend.
  cfg.engine_backend = choose_backend(cfg.device);
  // A service runs engine jobs on many threads, each allocating window buffers of megabytes.
  // glibc raises its mmap threshold after such a buffer is freed and serves the next ones from
  // per-thread arenas that keep their peak: a 30 s soak grew to 3.4 GB of heap that way. A fixed
  // threshold keeps buffers of 4 MiB and more (window columns) in their own mappings, returned
  // on free.
  // Fixing the mmap threshold also fixes the trim threshold at its 128 KiB default, and then
  // every freed reply piece gives the heap back to the system only to fault it in again (the
  // loopback floor ran 9x slower): keep up to 64 MiB of free heap.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // Signals go to one thread that stops the server; every other thread blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  rest::service svc(cfg);
  rest::add_info_routes(svc);
  rest::add_spec_routes(svc);
  rest::add_query_routes(svc);
  rest::add_render_routes(svc);
  rest::add_stack_routes(svc);
  rest::add_ui_routes(svc);
  const int port = svc.bind();
  // One line on stdout that scripts and tests wait for.
  std::printf("specmill serve: listening on http://%s:%d (contexts:", cfg.host.c_str(), port);
  for (const auto& c : cfg.contexts) std::printf(" %s", c.name.c_str());
  std::printf(") on %s\n", std::string(to_string(cfg.engine_backend)).c_str());
  std::fflush(stdout);
  std::thread signals([&svc, &cfg, set] {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("signal {}: stopping (replies in flight get {:g} s)", sig, cfg.limits.stop_grace_seconds);
    svc.stop();
  });
  svc.run();
  // Wake the signal thread if the service stopped another way (/shutdown).
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  spdlog::info("specmill serve: stopped");
}

const bool registered = specmill::cli::add_command(
    {"serve", "Run the REST service (the spectroscopic data service API) on a store or a config", [](CLI::App& sub) {
       auto a = std::make_shared<serve_args>();
       sub.add_option("--config", a->config, "Service config (JSON; docs/rest.md)");
       sub.add_option("--store", a->store, "Serve this store alone (each of its contexts public)");
       sub.add_option("--host", a->host, "Address to listen on (default 127.0.0.1)");
       sub.add_option("--port", a->port, "Port (default 6998; 0: any free port, printed)");
       sub.add_option("--threads", a->threads, "Worker threads (default: 4 x cores, at least 64)");
       sub.add_option("--admin-token", a->admin_token, "Token for /shutdown and /debug (default: from the config)");
       sub.add_option("--device", a->device, "Engine backend: auto (CUDA when a device is present), cpu or cuda (default: the config's, else auto)");
       sub.callback([a] { run(*a); });
     }});

}  // namespace
