// The REST service on loopback: small-request rate (/ping, /listSpan of 10 IDs) and bulk getSpec
// throughput (10,000 spectra aligned as .npy, and unaligned as .npz), in spectra/s and bytes/s,
// against the loopback floor measured in the same run: the same number of bytes served from
// memory by the same server (/floor, admin only). The server is `specmill serve --store` on the
// shared synthetic store (bench/common/synthetic_store.hpp), started once as a child process.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/common/synthetic_store.hpp"

extern char** environ;

namespace {

using namespace specmill;

struct served {
  pid_t pid = -1;
  int port = 0;
  std::string aligned_body, npz_body, span_body;
  size_t n_ids = 0;
  ~served() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

const served& server() {
  static served s = [] {
    served out;
    const auto root = bench::bench_store();
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> args = {SPECMILL_BIN, "--quiet", "serve", "--store", root.string(), "--port", "0",
                                     "--admin-token", "bench"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&out.pid, SPECMILL_BIN, &fa, nullptr, argv.data(), environ) != 0) std::abort();
    ::close(fds[1]);
    FILE* f = ::fdopen(fds[0], "r");
    char line[512] = {0};
    if (!std::fgets(line, sizeof line, f)) std::abort();
    const std::string l(line);
    out.port = std::stoi(l.substr(l.find("127.0.0.1:") + 10));
    // The request bodies: 10,000 SPECOBJIDs (a JSON list) and a 10-ID list.
    store st(root, store::access::read);
    const auto ids = bench::request(st, 10000);
    std::string list = "[";
    for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i].specobjid());
    list += "]";
    out.n_ids = ids.size();
    out.aligned_body = R"({"format":"numpy","align":true,"values":"flux,ivar,and_mask","id_list":)" + list + "}";
    out.npz_body = R"({"format":"npz","values":"flux,ivar,and_mask","id_list":)" + list + "}";
    std::string ten = "[";
    for (size_t i = 0; i < 10; ++i) ten += (i ? "," : "") + std::to_string(ids[i].specobjid());
    out.span_body = R"({"id_list":)" + ten + "]}";
    return out;
  }();
  return s;
}

httplib::Client client() {
  httplib::Client c("127.0.0.1", server().port);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(600, 0);
  return c;
}

void BM_Ping(benchmark::State& state) {
  auto c = client();
  for (auto _ : state) {
    auto r = c.Get("/ping");
    if (!r || r->status != 200) state.SkipWithError("ping failed");
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_ListSpan10(benchmark::State& state) {
  auto c = client();
  for (auto _ : state) {
    auto r = c.Post("/spec/listSpan", server().span_body, "application/json");
    if (!r || r->status != 200) state.SkipWithError("listSpan failed");
  }
  state.SetItemsProcessed(int64_t(state.iterations() * 10));
}

// Bulk: the body is discarded as it arrives (a content receiver), as a client would stream it.
void bulk(benchmark::State& state, const std::string& body) {
  auto c = client();
  uint64_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    httplib::Request req;
    req.method = "POST";
    req.path = "/getSpec";
    req.body = body;
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
      bytes += n;
      return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    if (!c.send(req, res, err) || res.status != 200) state.SkipWithError("getSpec failed");
  }
  state.SetItemsProcessed(int64_t(state.iterations() * server().n_ids));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
  state.counters["MB"] = double(bytes) / 1e6;
}

void BM_GetSpecAligned10k(benchmark::State& state) { bulk(state, server().aligned_body); }
void BM_GetSpecNpz10k(benchmark::State& state) { bulk(state, server().npz_body); }

// Floor: the same number of bytes as the aligned response, from the server's memory.
void BM_FloorLoopback(benchmark::State& state) {
  auto c = client();
  uint64_t want = 0;
  {
    auto r = c.Post("/getSpec", server().aligned_body, "application/json");
    want = r ? r->body.size() : 0;
  }
  const std::string path = "/floor?bytes=" + std::to_string(want);
  for (auto _ : state) {
    uint64_t got = 0;
    auto r = c.Get(path, httplib::Headers{{"X-DL-AuthToken", "bench"}}, [&](const char*, size_t n) {
      got += n;
      return true;
    });
    if (!r || r->status != 200 || got != want) state.SkipWithError("floor failed");
  }
  state.SetItemsProcessed(int64_t(state.iterations() * server().n_ids));
  state.SetBytesProcessed(int64_t(state.iterations() * want));
}

}  // namespace

BENCHMARK(BM_Ping)->UseRealTime();
BENCHMARK(BM_Ping)->UseRealTime()->Threads(4);
BENCHMARK(BM_ListSpan10)->UseRealTime();
BENCHMARK(BM_ListSpan10)->UseRealTime()->Threads(4);
BENCHMARK(BM_FloorLoopback)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GetSpecAligned10k)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GetSpecNpz10k)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
