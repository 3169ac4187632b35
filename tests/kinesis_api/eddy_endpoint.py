"""A real eddy-broker process for the Kinesis API tests: 127.0.0.1, ephemeral ports for
both front-ends, its own data directory, killed (and its log shown on failure) at the end.

    with EddyBroker() as broker:
        client = broker.boto3_client()
"""
import os
import shutil
import subprocess
import tempfile
import time

BROKER = os.environ.get("EDDY_BROKER_BIN", "build/broker/eddy-broker")
CLI = os.environ.get("EDDY_CLI_BIN", "build/tools/eddy")
SOURCE_DIR = os.environ.get("EDDY_SOURCE_DIR", ".")

CREDENTIALS = {"aws_access_key_id": "AKIDEDDYTEST", "aws_secret_access_key": "eddy-secret"}


def wait_for(condition, timeout, what):
    """Polls `condition` until it is true; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class EddyBroker:
    def __init__(self, *extra_args):
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="eddy-kinesis-api-")
        self.process = None
        self.grpc_address = None
        self.kinesis_address = None

    def __enter__(self):
        ready = os.path.join(self.dir, "ready")
        self.log_path = os.path.join(self.dir, "broker.log")
        args = [BROKER, "--data-dir", os.path.join(self.dir, "data"), "--ready-file", ready,
                "--listen", "127.0.0.1:0"]
        if "--kinesis-listen" not in self.extra_args:
            args += ["--kinesis-listen", "127.0.0.1:0"]
        args += self.extra_args
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

        def read_ready():
            if self.process.poll() is not None:
                raise AssertionError("eddy-broker exited at start:\n" + self.log())
            try:
                with open(ready) as f:
                    lines = f.read().split()
            except FileNotFoundError:
                return None
            return lines if len(lines) >= 2 else None

        lines = wait_for(read_ready, 20, "eddy-broker to start")
        self.grpc_address = lines[0]
        self.kinesis_address = lines[1][len("kinesis="):]
        self.endpoint = f"http://{self.kinesis_address}"
        return self

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def __exit__(self, kind, value, traceback):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if kind is not None:
            print("---- eddy-broker log ----\n" + self.log()[-20000:])
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def boto3_client(self, **config):
        import boto3
        from botocore.config import Config
        return boto3.client("kinesis", endpoint_url=self.endpoint, region_name="us-east-1",
                            config=Config(**config), **CREDENTIALS)

    def eddy(self, *args):
        """Runs the `eddy` command line against this broker's gRPC endpoint; its stdout."""
        env = dict(os.environ, EDDY_ENDPOINT=self.grpc_address)
        result = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"eddy {' '.join(args)} failed: {result.stderr}")
        return result.stdout
