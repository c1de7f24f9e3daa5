#pragma once
// A throwaway PostgreSQL cluster for the tests of the PostgreSQL catalog (scripts/pg-throwaway.sh:
// initdb into a temp folder as an unprivileged user, a Unix socket only, q3c created).
//
// CTest starts one cluster for a whole run (the fixture `pg` in tests/CMakeLists.txt writes its
// URL to SPECMILL_PG_FIXTURE/url and stops it at the end); a test program run by hand starts
// its own and stops it at exit. Each test gets its own database (pg_database), dropped at the
// end; pg_skip_reason() says why PostgreSQL tests cannot run (binaries missing), empty otherwise.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "io/catalog/pg.hpp"

namespace specmill::test_support {

class pg_cluster {
 public:
  // The URL of the cluster's `specmill` database; empty (and skip_reason() set) when none.
  static pg_cluster& shared() {
    static pg_cluster c;
    return c;
  }
  const std::string& url() const { return url_; }
  const std::string& skip_reason() const { return skip_; }
  // The URL of database `name` on this cluster.
  std::string url_of(const std::string& name) const {
    std::string u = url_;
    const auto at = u.find("/specmill?");
    return u.substr(0, at) + "/" + name + u.substr(at + 9);
  }

  ~pg_cluster() {
    if (!own_dir_.empty()) run("stop '" + own_dir_ + "'", nullptr);
  }

 private:
  pg_cluster() {
    // The CTest fixture's cluster, if it answers.
    const std::filesystem::path fixture = SPECMILL_PG_FIXTURE;
    if (std::ifstream in(fixture / "url"); in && std::getline(in, url_)) {
      try {
        pg_connection probe(url_);
        return;
      } catch (const std::exception&) {
        url_.clear();  // left by an interrupted run
      }
    }
    own_dir_ = (std::filesystem::temp_directory_path() / ("specmill-pg-" + std::to_string(::getpid()))).string();
    std::string out;
    const int rc = run("start '" + own_dir_ + "'", &out);
    if (rc == 77) {
      skip_ = "PostgreSQL 15 server or q3c not installed (scripts/install-deps.sh installs postgresql-15, "
              "postgresql-15-q3c)";
      own_dir_.clear();
    } else if (rc != 0 || out.empty()) {
      skip_.clear();
      throw std::runtime_error("cannot start a throwaway PostgreSQL cluster (scripts/pg-throwaway.sh, rc " +
                               std::to_string(rc) + ")");
    } else {
      url_ = out;
    }
  }

  static int run(const std::string& args, std::string* out) {
    const std::string cmd = std::string(SPECMILL_SOURCE_DIR) + "/scripts/pg-throwaway.sh " + args;
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    if (!p) return -1;
    char buf[512];
    std::string text;
    while (std::fgets(buf, sizeof buf, p.get())) text += buf;
    const int status = ::pclose(p.release());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string url_, skip_, own_dir_;
};

// A fresh database with q3c on the shared cluster, dropped at scope exit.
class pg_database {
 public:
  explicit pg_database(const std::string& tag = "t") {
    static int counter = 0;
    auto& c = pg_cluster::shared();
    if (c.url().empty()) return;
    name_ = "specmill_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    pg_connection admin(c.url());
    admin.exec("DROP DATABASE IF EXISTS " + name_);
    admin.exec("CREATE DATABASE " + name_);
    url_ = c.url_of(name_);
    pg_connection(url_).exec("CREATE EXTENSION q3c");
  }
  ~pg_database() {
    if (name_.empty()) return;
    try {
      pg_connection(pg_cluster::shared().url()).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  pg_database(const pg_database&) = delete;
  pg_database& operator=(const pg_database&) = delete;
  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }

 private:
  std::string name_, url_;
};

inline std::string pg_skip_reason() { return pg_cluster::shared().skip_reason(); }

}  // namespace specmill::test_support

// Skips the current test when PostgreSQL is not installed (never silently passes).
#define SPECMILL_REQUIRE_PG()                                                        \
  do {                                                                               \
    if (!::specmill::test_support::pg_skip_reason().empty())                         \
      GTEST_SKIP() << ::specmill::test_support::pg_skip_reason();                    \
  } while (0)
