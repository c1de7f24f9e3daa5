#include "api/rest/rest_metrics.hpp"

#include <fmt/format.h>

namespace specmill::rest {

void service_metrics::record(const std::string& route, int status, double seconds, uint64_t bytes_out) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
  bytes_[route] += bytes_out;
}

void service_metrics::add_spectra(const std::string& route, uint64_t n) {
  std::lock_guard lock(mutex_);
  spectra_[route] += n;
}

void service_metrics::add_rejected(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++rejected_[reason];
}

void service_metrics::add_cancelled(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++cancelled_[reason];
}

std::string service_metrics::prometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP specmill_requests_total HTTP requests by route and status.\n# TYPE specmill_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += fmt::format("specmill_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  out += "# HELP specmill_errors_total Requests answered with status >= 400, by status.\n# TYPE specmill_errors_total counter\n";
  std::map<int, uint64_t> errors;
  for (const auto& [key, n] : requests_)
    if (key.second >= 400) errors[key.second] += n;
  for (const auto& [status, n] : errors) out += fmt::format("specmill_errors_total{{status=\"{}\"}} {}\n", status, n);
  out += "# HELP specmill_request_seconds Request latency by route.\n# TYPE specmill_request_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < bounds.size(); ++i)
      out += fmt::format("specmill_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, bounds[i], h.buckets[i]);
    out += fmt::format("specmill_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, h.count);
    out += fmt::format("specmill_request_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("specmill_request_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  out += "# HELP specmill_spectra_served_total Spectra returned, by route.\n# TYPE specmill_spectra_served_total counter\n";
  for (const auto& [route, n] : spectra_) out += fmt::format("specmill_spectra_served_total{{route=\"{}\"}} {}\n", route, n);
  out += "# HELP specmill_response_bytes_total Response body bytes, by route.\n# TYPE specmill_response_bytes_total counter\n";
  for (const auto& [route, n] : bytes_) out += fmt::format("specmill_response_bytes_total{{route=\"{}\"}} {}\n", route, n);
  out += "# HELP specmill_requests_rejected_total Requests refused with a 4xx, by kind (the JSON error).\n"
         "# TYPE specmill_requests_rejected_total counter\n";
  for (const auto& [reason, n] : rejected_)
    out += fmt::format("specmill_requests_rejected_total{{reason=\"{}\"}} {}\n", reason, n);
  out += "# HELP specmill_requests_cancelled_total Requests cut short: over_budget, client_gone, client_stalled, shutdown.\n"
         "# TYPE specmill_requests_cancelled_total counter\n";
  for (const auto& [reason, n] : cancelled_)
    out += fmt::format("specmill_requests_cancelled_total{{reason=\"{}\"}} {}\n", reason, n);
  return out;
}

}  // namespace specmill::rest
