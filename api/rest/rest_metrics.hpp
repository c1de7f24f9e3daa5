#pragma once
// Counters and latency histograms of the REST service, in Prometheus' text format (/metrics):
// requests and errors by route and status, latency buckets by route, spectra served, bytes out,
// requests refused (4xx, by kind) and cut short (over budget, client gone, shutdown).
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace specmill::rest {

class service_metrics {
 public:
  void record(const std::string& route, int status, double seconds, uint64_t bytes_out);
  void add_spectra(const std::string& route, uint64_t n);
  void add_rejected(const std::string& reason);
  void add_cancelled(const std::string& reason);
  std::string prometheus() const;

 private:
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};
  struct histogram {
    std::array<uint64_t, bounds.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, histogram> latency_;
  std::map<std::string, uint64_t> spectra_;
  std::map<std::string, uint64_t> bytes_;
  std::map<std::string, uint64_t> rejected_, cancelled_;
};

}  // namespace specmill::rest
