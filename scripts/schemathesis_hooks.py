"""Schemathesis hooks for scripts/schemathesis: every case gets the API key
of a new account (with its From), created with the console (`FLEXIAPI_BIN accounts create`),
for the operations that destroy the caller's own key (deleting the account,
replacing its key), so that each case runs as a live account."""

import itertools
import json
import os
import subprocess

import schemathesis

_numbers = itertools.count()


@schemathesis.auth(refresh_interval=None)
class FreshAccount:
    def get(self, case, context):
        username = f"fresh{os.getpid()}x{next(_numbers)}"
        created = subprocess.run(
            [os.environ["FLEXIAPI_BIN"], "accounts", "create", username,
             "--password", "fuzz-secret", "--activated", "--api-key"],
            check=True, capture_output=True, text=True,
        )
        domain = os.environ["APP_SIP_DOMAIN"]
        return {"x-api-key": json.loads(created.stdout)["api_key"], "From": f"sip:{username}@{domain}"}

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}
