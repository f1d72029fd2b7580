#pragma once

// Scrapes a Prometheus text exposition over HTTP (libcurl) and reads its
// samples, for integration tests of the admin HTTP server.
//
//   auto text = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/metrics");
//   MetricsText metrics(text.body);
//   metrics.Value("triggerfish_events_total", {{"outcome", "committed"}});

#include <curl/curl.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace triggerfish::testing {

struct HttpResponse {
  long status = 0;  // 0: no response (the error says why)
  std::string content_type;
  std::string body;
  std::string error;
};

inline HttpResponse HttpGet(const std::string& url) {
  HttpResponse response;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    response.error = "curl_easy_init failed";
    return response;
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    response.error = curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) response.content_type = type;
  }
  curl_easy_cleanup(curl);
  return response;
}

// The samples and # TYPE lines of a text exposition.
class MetricsText {
 public:
  struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
  };

  explicit MetricsText(const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("# TYPE ", 0) == 0) {
        std::istringstream words(line.substr(7));
        std::string name, type;
        words >> name >> type;
        types_[name] = type;
        continue;
      }
      if (line.empty() || line[0] == '#') continue;
      Sample sample;
      size_t i = line.find_first_of("{ ");
      sample.name = line.substr(0, i);
      if (i != std::string::npos && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
          const size_t eq = line.find('=', i);
          const std::string key = line.substr(i, eq - i);
          std::string value;
          size_t j = eq + 2;  // after ="
          for (; j < line.size() && line[j] != '"'; ++j) {
            if (line[j] == '\\' && j + 1 < line.size()) ++j;
            value.push_back(line[j]);
          }
          sample.labels[key] = value;
          i = j + 1;
          if (i < line.size() && line[i] == ',') ++i;
        }
        ++i;  // '}'
      }
      sample.value = std::stod(line.substr(line.find_first_not_of(' ', i)));
      samples_.push_back(std::move(sample));
    }
  }

  // The sum of the samples named `name` whose labels include `labels`;
  // nullopt when there is none.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    std::optional<double> sum;
    for (const Sample& s : samples_) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [key, value] : labels) {
        auto it = s.labels.find(key);
        if (it == s.labels.end() || it->second != value) match = false;
      }
      if (match) sum = sum.value_or(0) + s.value;
    }
    return sum;
  }

  // What "# TYPE name ..." says ("counter", "histogram", ...), or "".
  std::string TypeOf(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? "" : it->second;
  }

  const std::vector<Sample>& samples() const { return samples_; }

 private:
  std::vector<Sample> samples_;
  std::map<std::string, std::string> types_;
};

}  // namespace triggerfish::testing
