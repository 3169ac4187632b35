"""Eddy's SigV4 signer (client/sigv4_signer.h, through sigv4_sign_tool) signs as botocore
signs: the same Authorization header, byte for byte, for Kinesis- and DynamoDB-shaped
requests — empty, JSON, CBOR and binary bodies, session tokens, odd header spacing and case,
query strings, and HTTP/2's :authority in place of Host."""
import datetime
import json
import os
import subprocess
import unittest
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WHEN = datetime.datetime(2026, 12, 3, 14, 5, 9)
EPOCH = int(WHEN.replace(tzinfo=datetime.timezone.utc).timestamp())


def botocore_authorization(case):
    host = case["host"]
    url = f"https://{host}{case.get('path', '/')}"
    if case.get("query"):
        url += "?" + case["query"]
    headers = {"Host": host}
    headers.update(dict(case.get("headers", [])))
    request = AWSRequest(method=case.get("method", "POST"), url=url,
                         data=bytes.fromhex(case.get("payload_hex", "")), headers=headers)
    credentials = Credentials(case["access_key"], case["secret_key"], case.get("token") or None)
    with mock.patch("botocore.auth.datetime") as clock:
        clock.datetime.utcnow.return_value = WHEN
        SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
    return request.headers["Authorization"], request.headers.get("X-Amz-Security-Token")


def eddy_headers(cases):
    """The signer's added headers for each case, from one run of the tool."""
    lines = []
    for case in cases:
        host_header = ":authority" if case.get("http2") else "Host"
        lines.append(json.dumps({
            "method": case.get("method", "POST"), "path": case.get("path", "/"),
            "query": case.get("query", ""),
            "headers": [[host_header, case["host"]]] + [list(h) for h in case.get("headers", [])],
            "payload_hex": case.get("payload_hex", ""), "access_key": case["access_key"],
            "secret_key": case["secret_key"], "token": case.get("token", ""),
            "region": case["region"], "service": case["service"], "epoch_seconds": EPOCH}))
    done = subprocess.run([os.environ["EDDY_SIGV4_TOOL"]], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60, check=True)
    return [dict(json.loads(line)) for line in done.stdout.splitlines()]


KEY = {"access_key": "AKIDEDDYTEST", "secret_key": "c2VjcmV0L2tleS93aXRoK3NpZ25z"}
KINESIS = {"host": "kinesis.eu-west-1.amazonaws.com", "region": "eu-west-1",
           "service": "kinesis", **KEY}
JSON_HEADERS = [("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "Kinesis_20131202.PutRecord")]

CASES = {
    "json_body": {**KINESIS, "headers": JSON_HEADERS,
                  "payload_hex": b'{"StreamName":"s","Data":"aGk=","PartitionKey":"k"}'.hex()},
    "empty_body": {**KINESIS, "headers": JSON_HEADERS},
    "binary_cbor_body": {**KINESIS, "headers": [("Content-Type", "application/x-amz-cbor-1.1"),
                                                ("X-Amz-Target", "Kinesis_20131202.GetRecords")],
                         "payload_hex": bytes(range(256)).hex()},
    "session_token": {**KINESIS, "headers": JSON_HEADERS, "token": "FwoGZXIvYXdzEXAMPLE//token==",
                      "payload_hex": b"{}".hex()},
    "odd_spacing_and_case": {**KINESIS,
                             "headers": [("content-TYPE", "  application/x-amz-json-1.1 "),
                                         ("X-AMZ-TARGET", "Kinesis_20131202.ListShards"),
                                         ("X-Custom", "a   b  c")],
                             "payload_hex": b'{"StreamName": "s"}'.hex()},
    "query_string": {**KINESIS, "method": "GET", "query": "b=2&a=1&A=0", "headers": []},
    "http2_authority": {**KINESIS, "headers": JSON_HEADERS, "http2": True,
                        "payload_hex": b'{"ShardId":"shardId-000000000000"}'.hex()},
    "dynamodb": {"host": "dynamodb.us-east-1.amazonaws.com", "region": "us-east-1",
                 "service": "dynamodb", **KEY,
                 "headers": [("Content-Type", "application/x-amz-json-1.0"),
                             ("X-Amz-Target", "DynamoDB_20120810.GetItem")],
                 "payload_hex": b'{"TableName":"app"}'.hex()},
    "local_endpoint_with_port": {**KINESIS, "host": "127.0.0.1:4568", "region": "us-east-1",
                                 "headers": JSON_HEADERS, "payload_hex": b"{}".hex()},
}


class SigV4BotocoreTest(unittest.TestCase):
    def test_every_case_signs_as_botocore_signs(self):
        names = list(CASES)
        ours = eddy_headers([CASES[n] for n in names])
        self.assertEqual(len(ours), len(names))
        for name, added in zip(names, ours):
            with self.subTest(case=name):
                authorization, token = botocore_authorization(CASES[name])
                self.assertEqual(added["Authorization"], authorization)
                self.assertEqual(added["X-Amz-Date"], WHEN.strftime("%Y%m%dT%H%M%SZ"))
                self.assertEqual(added.get("X-Amz-Security-Token"), token)

    def test_a_different_secret_gives_a_different_signature(self):
        case = CASES["json_body"]
        ours = eddy_headers([case, {**case, "secret_key": case["secret_key"] + "x"}])
        self.assertNotEqual(ours[0]["Authorization"], ours[1]["Authorization"])


if __name__ == "__main__":
    unittest.main()
