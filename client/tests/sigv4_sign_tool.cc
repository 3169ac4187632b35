// Signs the requests it reads, one JSON object per line on stdin, and writes the headers the
// signer adds, one JSON array of [name, value] pairs per line: the C++ side of
// tests/kinesis_api/sigv4_botocore_test.py, which compares them with botocore's.
//
//   {"method": "POST", "path": "/", "query": "", "headers": [["Host", "…"], …],
//    "payload_hex": "…", "access_key": "…", "secret_key": "…", "token": "",
//    "region": "us-east-1", "service": "kinesis", "epoch_seconds": 1440938160}
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "client/sigv4_signer.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const nlohmann::json in = nlohmann::json::parse(line, nullptr, false);
    if (!in.is_object()) {
      std::cerr << "not a JSON object: " << line << "\n";
      return 2;
    }
    eddy::client::SigningRequest request;
    request.method = in.value("method", "POST");
    request.path = in.value("path", "/");
    request.query = in.value("query", "");
    for (const nlohmann::json& header : in["headers"]) {
      request.headers.emplace_back(header[0].get<std::string>(), header[1].get<std::string>());
    }
    const std::string payload = absl::HexStringToBytes(in.value("payload_hex", ""));
    request.payload = payload;
    const eddy::client::AwsCredentials credentials{
        in.value("access_key", ""), in.value("secret_key", ""), in.value("token", "")};
    const eddy::client::HttpHeaders added = eddy::client::SignRequest(
        request, credentials, in.value("region", ""), in.value("service", ""),
        absl::FromUnixSeconds(in.value("epoch_seconds", int64_t{0})));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, value] : added) out.push_back({name, value});
    std::cout << out.dump() << "\n" << std::flush;
  }
  return 0;
}
