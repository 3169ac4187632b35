#include "common/md5.h"

#include <openssl/evp.h>

namespace eddy::common {

std::string Md5(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace eddy::common
