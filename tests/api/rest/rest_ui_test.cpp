// The web page's files (api/rest/rest_ui.cpp) from an in-process service whose ui_dir is a
// folder made here: types, caching, deep-link fallback, paths that try to leave the folder (raw
// and percent-encoded), a symlink out of it, one metrics label, and a missing page.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "api/rest/rest_server.hpp"
#include "common/temp_dir.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

class RestUi : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "web" / "vendor");
    std::ofstream(dir_ / "web" / "index.html") << "<p>page</p>";
    std::ofstream(dir_ / "web" / "app.js") << "console.log(1);";
    std::ofstream(dir_ / "web" / "vendor" / "lib.css") << "p{}";
    std::ofstream(dir_ / "web" / "blob.bin") << "xyz";
    std::ofstream(dir_ / "web" / ".hidden") << "hidden";
    std::ofstream(dir_ / "secret.txt") << "secret";
    fs::create_symlink(dir_ / "secret.txt", dir_ / "web" / "leak.js");
    start(dir_ / "web");
  }
  void TearDown() override { stop(); }

  void start(const fs::path& ui_dir) {
    rest::service_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 4;
    cfg.contexts = {{"sdss_dr16", dir_ / "no-store", "sdss_dr16", "", true, {}}};
    cfg.default_context = "sdss_dr16";
    cfg.ui_dir = ui_dir;
    svc_ = std::make_unique<rest::service>(cfg);
    rest::add_info_routes(*svc_);
    rest::add_ui_routes(*svc_);
    port_ = svc_->bind();
    runner_ = std::thread([this] { svc_->run(); });
    // httplib's stop() is a no-op until the accept loop runs, so a stop() right after start()
    // (MissingPageSaysSo) could leave run() serving forever: wait until it answers.
    httplib::Client c("127.0.0.1", port_);
    for (int i = 0; i < 500 && !c.Get("/ping"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void stop() {
    svc_->stop();
    runner_.join();
    svc_.reset();
  }
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) {
    httplib::Client c("127.0.0.1", port_);
    return c.Get(path, h);
  }

  test_support::temp_dir dir_;
  std::unique_ptr<rest::service> svc_;
  std::thread runner_;
  int port_ = 0;
};

TEST_F(RestUi, ServesFilesWithTypesAndCaching) {
  auto r = get("/ui");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<p>page</p>");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  r = get("/ui/app.js");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache");
  const std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  r = get("/ui/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(r->status, 304);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(get("/ui/vendor/lib.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(get("/ui/vendor/lib.css")->get_header_value("Cache-Control"), "public, max-age=86400");
  EXPECT_EQ(get("/ui/blob.bin")->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(get("/spec/ui/app.js")->body, "console.log(1);");
}

TEST_F(RestUi, DeepLinksGetTheIndexAndMissingFilesAre404) {
  for (const char* p : {"/ui/", "/ui/spectrum/11358209773655052288", "/ui/stack", "/spec/ui"}) {
    auto r = get(p);
    EXPECT_EQ(r->status, 200) << p;
    EXPECT_EQ(r->body, "<p>page</p>") << p;
  }
  EXPECT_EQ(get("/ui/missing.js")->status, 404);
  EXPECT_EQ(get("/uifoo")->status, 404);
}

TEST_F(RestUi, NoPathLeavesTheFolder) {
  for (const char* p : {"/ui/../secret.txt", "/ui/..", "/ui/vendor/../../secret.txt", "/ui/%2e%2e/secret.txt",
                        "/ui/..%2fsecret.txt", "/ui/%2E%2E%2Fsecret.txt", "/ui/.hidden", "/ui/./app.js",
                        "/ui//etc/passwd", "/ui/%5c..%5csecret.txt"}) {
    auto r = get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << p << " " << r->status;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << p;
    EXPECT_EQ(r->body.find("hidden"), std::string::npos) << p;
  }
  auto r = get("/ui/leak.js");  // a symlink to a file outside
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
}

TEST_F(RestUi, OneMetricsLabelAndGetOnly) {
  get("/ui/app.js");
  get("/ui/vendor/lib.css");
  const std::string m = get("/metrics")->body;
  EXPECT_NE(m.find("route=\"/ui\""), std::string::npos);
  EXPECT_EQ(m.find("lib.css"), std::string::npos);
  httplib::Client c("127.0.0.1", port_);
  EXPECT_EQ(c.Post("/ui/app.js", "x", "text/plain")->status, 405);
}

TEST_F(RestUi, MissingPageSaysSo) {
  stop();
  start(dir_ / "nothing");
  auto r = get("/ui");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("not installed"), std::string::npos);
}

}  // namespace
