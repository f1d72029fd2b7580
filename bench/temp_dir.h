#pragma once

// A directory under /tmp for a benchmark's store, removed on destruction.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace triggerfish::bench {

class TempDir {
 public:
  // `prefix` names the benchmark, e.g. "tf-grpc-bench".
  explicit TempDir(const std::string& prefix) {
    std::string name = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(name.data()) != nullptr) path_ = name;
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty if the directory could not be created.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace triggerfish::bench
