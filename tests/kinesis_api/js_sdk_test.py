"""@aws-sdk/client-kinesis v3 (npm, tests/interop) against eddy-broker's Kinesis endpoint over
HTTP/2: cleartext with prior knowledge (what the SDK does for an http:// endpoint) and TLS
with ALPN h2 (a self-signed certificate made for the test). The calls are in
js_sdk_calls.mjs; the broker runs with a short --subscription-session-ms so that the
SubscribeToShard renewal path runs."""
import os
import shutil
import subprocess
import tempfile
import unittest

from eddy_endpoint import EddyBroker, SOURCE_DIR

INTEROP_DIR = os.path.join(SOURCE_DIR, "tests", "interop")
CALLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js_sdk_calls.mjs")


def require_sdk(test):
    if shutil.which("node") is None or not os.path.isdir(
            os.path.join(INTEROP_DIR, "node_modules", "@aws-sdk", "client-kinesis")):
        test.fail("node or @aws-sdk/client-kinesis is missing: run scripts/install-npm-peers")


def run_calls(endpoint, extra_env=None):
    env = dict(os.environ, EDDY_INTEROP_DIR=INTEROP_DIR, **(extra_env or {}))
    result = subprocess.run(["node", CALLS, endpoint], env=env, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"js_sdk_calls.mjs failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class JsSdkOverHttp2(unittest.TestCase):
    def test_h2c(self):
        require_sdk(self)
        with EddyBroker("--subscription-session-ms", "700") as broker:
            self.assertIn('"ok":true', run_calls(broker.endpoint))

    def test_tls_alpn_h2(self):
        require_sdk(self)
        directory = tempfile.mkdtemp(prefix="eddy-tls-")
        try:
            cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "2", "-subj", "/CN=127.0.0.1", "-addext",
                            "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                           check=True, capture_output=True, timeout=60)
            with EddyBroker("--subscription-session-ms", "700", "--tls-cert", cert,
                            "--tls-key", key) as broker:
                endpoint = "https://" + broker.kinesis_address
                self.assertIn('"ok":true', run_calls(endpoint, {"NODE_EXTRA_CA_CERTS": cert}))
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
