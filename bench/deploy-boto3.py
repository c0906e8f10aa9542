#!/usr/bin/env python3
"""boto3's transfer manager as a deploy tool, for bench/deploy.sh.

usage: deploy-boto3.py DIR s3://bucket/prefix [--concurrency 32] [--sync]

Uploads every file of DIR with one shared s3transfer TransferManager (max_concurrency
threads, a connection pool of the same size, multipart above 8 MiB in 8 MiB parts: boto3's
defaults apart from the concurrency), with the Content-Type guessed from the name as
`aws s3 sync` does. boto3 has no sync: with --sync this script does a
naive one, the rule `aws s3 sync` uses: list the prefix (ListObjectsV2), then upload a file
when the object is missing, its size differs, or the local mtime is newer than the
object's LastModified. Nothing is deleted (the benchmark's trees never remove files).
Endpoint and credentials come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).
Prints one JSON line: {"uploaded": N, "skipped": N, "files": N}.
"""
import argparse
import json
import mimetypes
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from s3transfer.manager import TransferManager


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("target")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sync", action="store_true")
    args = parser.parse_args()
    assert args.target.startswith("s3://")
    bucket, _, prefix = args.target[len("s3://"):].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
                          config=Config(max_pool_connections=args.concurrency, s3={"addressing_style": "path"}))
    files = []
    root = os.path.abspath(args.root)
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            files.append((os.path.relpath(path, root).replace(os.sep, "/"), path))
    remote = {}
    if args.sync:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                remote[item["Key"]] = (item["Size"], item["LastModified"].timestamp())
    config = TransferConfig(max_concurrency=args.concurrency)
    uploaded = skipped = 0
    with TransferManager(client, config) as manager:
        futures = []
        for relative, path in files:
            key = prefix + relative
            if args.sync and key in remote:
                status = os.stat(path)
                size, modified = remote[key]
                if size == status.st_size and status.st_mtime <= modified:
                    skipped += 1
                    continue
            content_type = mimetypes.guess_type(path)[0]  # as `aws s3 cp/sync` does
            extra = {"ContentType": content_type} if content_type else None
            futures.append(manager.upload(path, bucket, key, extra_args=extra))
            uploaded += 1
        for future in futures:
            future.result()
    print(json.dumps({"uploaded": uploaded, "skipped": skipped, "files": len(files)}))


if __name__ == "__main__":
    sys.exit(main())
