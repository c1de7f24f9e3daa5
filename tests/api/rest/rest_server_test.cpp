// The REST service in-process (api/rest/rest_server.hpp) on an ephemeral loopback port, over a
// small store of sample spectra served as three contexts: public, token-protected, and a copy
// whose block files are garbage (a corrupt store). Routing, status codes by exception type, and
// what an error reply may say: no source file, no server path.
#include "common/store_setup.hpp"
#include "api/rest/rest_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "common/temp_dir.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/store/store.hpp"

using namespace specmill;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The service's log, kept to check that what a reply leaves out is logged.
class captured_log : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool contains(const std::string& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_.find(s) != std::string::npos;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    spdlog::memory_buf_t b;
    formatter_->format(m, b);
    text_.append(b.data(), b.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// One service for the whole program (CTest runs each test in its own process, so each pays
// for one small store: 12 sample spectra in blocks of 4).
class RestServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_support::temp_dir;
    const auto sample = test_support::write_sample_files(dir_->path() / "sample", 12, 5);
    for (const char* context : {"sdss_dr16", "private_dr16"}) test_support::ingest_into(store_root(), sample, 4, context);
    // The corrupt copy: the catalog intact, every block file overwritten with text.
    fs::copy(store_root(), broken_root(), fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(broken_root()))
      if (e.path().extension() == ".h5") std::ofstream(e.path(), std::ios::trunc) << "not a block";

    log_ = std::make_shared<captured_log>();
    spdlog::default_logger()->sinks().push_back(log_);

    rest::service_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 8;
    cfg.contexts = {{"sdss_dr16", store_root(), "sdss_dr16", "sample spectra", true, {}},
                    {"private_dr16", store_root(), "private_dr16", "the same, private", false, {"reader-token"}},
                    {"broken", broken_root(), "sdss_dr16", "a corrupt copy", true, {}}};
    cfg.default_context = "sdss_dr16";
    cfg.engine_backend = backend::cpu;
    svc_ = new rest::service(cfg);
    rest::add_info_routes(*svc_);
    rest::add_spec_routes(*svc_);
    rest::add_query_routes(*svc_);
    rest::add_render_routes(*svc_);
    rest::add_stack_routes(*svc_);
    port_ = svc_->bind();
    runner_ = new std::thread([] { svc_->run(); });
  }
  static void TearDownTestSuite() {
    svc_->stop();
    runner_->join();
    delete runner_;
    delete svc_;
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
    log_.reset();
    delete dir_;
  }

  static fs::path store_root() { return dir_->path() / "store"; }
  static fs::path broken_root() { return dir_->path() / "broken"; }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post_json(const std::string& path, const json& body, const httplib::Headers& headers = {}) const {
    return client().Post(path, headers, body.dump(), std::string("application/json"));
  }

  // A stored spectrum of the public context: its SPECOBJID and its flux as the block holds it.
  static std::pair<uint64_t, std::vector<float>> stored_spectrum() {
    store st(store_root(), store::access::read);
    std::optional<catalog_entry> first;
    st.catalog().for_each_located("sdss_dr16", [&](const catalog_entry& e) {
      if (!first) first = e;
    });
    EXPECT_TRUE(first.has_value());
    const auto& loc = *first->location;
    return {first->meta.specobjid, st.shared_block(loc.block_id)->read_spectrum(size_t(loc.row)).flux};
  }

  // What an error reply may not name: source files, the service's folders, its block files.
  static void expect_no_leak(const std::string& body) {
    for (const std::string& leak : std::vector<std::string>{".cpp", ".hpp", ".cu:", ".h5", "blk-", "/tmp", dir_->path().string()})
      EXPECT_EQ(body.find(leak), std::string::npos) << "'" << leak << "' in " << body;
  }

  static test_support::temp_dir* dir_;
  static rest::service* svc_;
  static std::thread* runner_;
  static int port_;
  static std::shared_ptr<captured_log> log_;
};

test_support::temp_dir* RestServer::dir_ = nullptr;
rest::service* RestServer::svc_ = nullptr;
std::thread* RestServer::runner_ = nullptr;
int RestServer::port_ = 0;
std::shared_ptr<captured_log> RestServer::log_;

// A .npy body of a 1-D array of one float32 field (what getSpec sends for one unaligned ID and
// values=flux), as its floats.
std::vector<float> npy_floats(const std::string& body) {
  EXPECT_GE(body.size(), 10u);
  EXPECT_EQ(body.compare(0, 6, "\x93NUMPY"), 0);
  const int major = static_cast<unsigned char>(body[6]);
  const size_t len_bytes = major == 1 ? 2 : 4;
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i) header_len |= size_t(static_cast<unsigned char>(body[8 + i])) << (8 * i);
  const size_t data = 8 + len_bytes + header_len;
  const std::string header = body.substr(8 + len_bytes, header_len);
  EXPECT_NE(header.find("<f4"), std::string::npos) << header;
  EXPECT_EQ((body.size() - data) % 4, 0u);
  std::vector<float> v((body.size() - data) / 4);
  std::memcpy(v.data(), body.data() + data, v.size() * 4);
  return v;
}

TEST_F(RestServer, UnknownRouteIs404) {
  for (const char* path : {"/nope", "/spec/nope", "/getSpec/extra"}) {
    const auto r = client().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(json::parse(r->body)["error"], "no_route") << r->body;
  }
  const auto r = client().Post(std::string("/nope"), std::string("{}"), std::string("application/json"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(RestServer, BadParameterIs400WithoutSourceLocation) {
  const auto [id, flux] = stored_spectrum();
  for (const json& bad : {json{{"id_list", json::array({id})}, {"cutout", "abc"}}, json{{"id_list", json::array({id})}, {"format", "nope"}},
                          json{{"id_list", json::array({id})}, {"w0", 3.5}}, json{{"id_list", json::array()}}}) {
    const auto r = post_json("/getSpec", bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad << " -> " << r->body;
    const json reply = json::parse(r->body);
    EXPECT_EQ(reply["error"], "invalid_argument");
    EXPECT_FALSE(reply["message"].get<std::string>().empty());
    expect_no_leak(r->body);
  }
}

TEST_F(RestServer, CorruptStoreBlockIs500NamingNoFileOrPath) {
  const auto [id, flux] = stored_spectrum();
  const auto r = post_json("/stack", {{"id_list", json::array({id})}, {"context", "broken"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"], "data_error") << r->body;
  expect_no_leak(r->body);
  // The log has what the reply leaves out: the block's path and the source location.
  EXPECT_TRUE(log_->contains("blk-"));
  EXPECT_TRUE(log_->contains(".cpp:"));
  // The same request on the intact store is fine: the 500 came from the blocks.
  const auto ok = post_json("/stack", {{"id_list", json::array({id})}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(RestServer, PrivateContextIsInvisibleWithoutItsToken) {
  const auto [id, flux] = stored_spectrum();
  const json request{{"id_list", json::array({id})}, {"values", "flux"}, {"context", "private_dr16"}};
  auto r = post_json("/getSpec", request);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = post_json("/getSpec", request, httplib::Headers{{"X-DL-AuthToken", "someone-else"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = post_json("/getSpec", request, httplib::Headers{{"X-DL-AuthToken", "reader-token"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;

  r = client().Get("/contexts");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_TRUE(json::parse(r->body).contains("sdss_dr16")) << r->body;
  EXPECT_FALSE(json::parse(r->body).contains("private_dr16")) << r->body;
  r = client().Get("/contexts", httplib::Headers{{"X-DL-AuthToken", "reader-token"}});
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body).contains("private_dr16")) << r->body;
}

TEST_F(RestServer, GetSpecReturnsTheStoredPixels) {
  const auto [id, flux] = stored_spectrum();
  ASSERT_FALSE(flux.empty());
  for (const char* path : {"/getSpec", "/spec/getSpec"}) {
    const auto r = post_json(path, {{"id_list", json::array({id})}, {"values", "flux"}, {"format", "numpy"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("X-Spectra-Found"), "1");
    const std::vector<float> got = npy_floats(r->body);
    ASSERT_EQ(got.size(), flux.size());
    EXPECT_EQ(std::memcmp(got.data(), flux.data(), flux.size() * 4), 0) << "pixels differ from the block's";
  }
  // An ID that is not stored: 404.
  const auto r = post_json("/getSpec", {{"id_list", json::array({1, 2})}, {"values", "flux"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST_F(RestServer, PingAnswersWithin100ms) {
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    const auto t = std::chrono::steady_clock::now();
    const auto r = client().Get("/ping");  // a new connection each time
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "OK");
  }
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[2], 100.0) << "median of 5 /ping round trips";
}

// A stop that lands between bind() and run() (a SIGTERM right after the "listening" line) must
// still end run(): httplib's own stop() ignored it and the server ran on. Both orders, and a
// stop racing run() from another thread, each must return within seconds.
TEST_F(RestServer, StopBeforeOrDuringRunEndsRun) {
  rest::service_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = 0;
  cfg.threads = 2;
  cfg.contexts = {{"sdss_dr16", store_root(), "sdss_dr16", "sample spectra", true, {}}};
  cfg.default_context = "sdss_dr16";
  cfg.engine_backend = backend::cpu;
  for (int round = 0; round < 20; ++round) {
    rest::service svc(cfg);
    rest::add_info_routes(svc);
    svc.bind();
    std::future<void> ran;
    if (round % 2 == 0) {
      svc.stop();
      ran = std::async(std::launch::async, [&svc] { svc.run(); });
    } else {
      ran = std::async(std::launch::async, [&svc] { svc.run(); });
      svc.stop();
    }
    ASSERT_EQ(ran.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "round " << round;
    ran.get();
  }
}

}  // namespace
