#include "smtp_client.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>

#include <curl/curl.h>

namespace triggerfish::plugins::email {
namespace {

std::mutex curl_mu;
int curl_users = 0;

struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* opaque) {
  auto* upload = static_cast<Upload*>(opaque);
  size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// libcurl passes every SMTP reply line to the header callback. The last
// error reply says why a transaction failed (the QUIT that follows gets a
// 221; an early "500" to EHLO is followed by a successful HELO).
struct Replies {
  std::string last_error;
  long last_error_code = 0;
  std::string last;
  long last_code = 0;
};

size_t OnReplyLine(char* data, size_t size, size_t count, void* opaque) {
  auto* replies = static_cast<Replies*>(opaque);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) ||
      !std::isdigit(static_cast<unsigned char>(line[2]))) {
    return size * count;
  }
  long code = std::strtol(line.substr(0, 3).c_str(), nullptr, 10);
  if (line.size() > 512) line.resize(512);
  if (code >= 400) {
    replies->last_error = line;
    replies->last_error_code = code;
  }
  replies->last = line;
  replies->last_code = code;
  return size * count;
}

// Failures that no retry can fix without an operator changing something.
bool IsPermanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_FILESIZE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

void AcquireCurl() {
  std::lock_guard lock(curl_mu);
  if (curl_users++ == 0) curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ReleaseCurl() {
  std::lock_guard lock(curl_mu);
  if (--curl_users == 0) curl_global_cleanup();
}

SmtpResult SendMail(const Config& config, const std::vector<std::string>& recipients,
                    const std::string& message, int64_t timeout_ms) {
  SmtpResult result;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.code = sdk::Code::kRetryable;
    result.message = "could not create a libcurl handle";
    return result;
  }
  std::unique_ptr<curl_slist, SlistDeleter> rcpt;
  for (const std::string& address : recipients) {
    curl_slist* appended = curl_slist_append(rcpt.get(), ("<" + address + ">").c_str());
    if (appended == nullptr) {
      result.code = sdk::Code::kRetryable;
      result.message = "out of memory";
      return result;
    }
    rcpt.release();
    rcpt.reset(appended);
  }
  const std::string mail_from = "<" + config.from() + ">";
  Upload upload{&message};
  Replies replies;
  char error_buffer[CURL_ERROR_SIZE] = {};

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config.smtp_url().c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  switch (config.starttls()) {
    case StartTls::kNever:
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
      break;
    case StartTls::kOpportunistic:
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
      break;
    case StartTls::kRequired:
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      break;
  }
  if (!config.username().empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config.username().c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config.password().c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnReplyLine);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &replies);

  const CURLcode code = curl_easy_perform(c);
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  if (code == CURLE_OK) {
    result.code = sdk::Code::kOk;
    result.reply_code = replies.last_code;
    result.reply = replies.last;
    result.message = replies.last;
    return result;
  }
  if (replies.last_error_code != 0) {
    // The server said why: 4xx is its way of asking to try again.
    result.reply_code = replies.last_error_code;
    result.reply = replies.last_error;
    result.code = replies.last_error_code < 500 ? sdk::Code::kRetryable : sdk::Code::kPermanent;
    result.message = "SMTP " + replies.last_error + " (" + detail + ")";
    return result;
  }
  result.code = IsPermanent(code) ? sdk::Code::kPermanent : sdk::Code::kRetryable;
  result.message = "SMTP transfer to " + config.smtp_url() + " failed: " + detail;
  return result;
}

}  // namespace triggerfish::plugins::email
