#!/usr/bin/env python3
"""Creates an IAM user allowed every S3 action on a moto_server started with INITIAL_NO_AUTH_ACTION_COUNT=3 (the
three calls here are the unauthenticated ones; every later request must be signed with a key moto knows), and
prints the user's access key ID and secret key on one line. Used by the S3 destination's credential tests. With
`append-only`, the user may do everything but delete objects (a key for backups that a thief cannot use to destroy
them).

    moto-iam-user.py ENDPOINT [append-only]
"""
import json
import sys

import boto3

iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="photographer")
key = iam.create_access_key(UserName="photographer")["AccessKey"]
statements = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
if len(sys.argv) > 2 and sys.argv[2] == "append-only":
    statements.append({"Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "*"})
iam.put_user_policy(UserName="photographer", PolicyName="backups", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": statements,
}))
print(key["AccessKeyId"], key["SecretAccessKey"])
