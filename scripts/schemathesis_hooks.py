"""Schemathesis hooks for scripts/schemathesis: the credentials of each case.

The fuzzer reuses the ids it reads in responses, so it blocks, deactivates,
demotes or deletes the account it runs as, and a few operations destroy the
caller's key by design. Each case therefore gets the `x-api-key` and `From`
of a live account, created with the console (`FLEXIAPI_BIN accounts create`)
when needed. FUZZ_ROLE says which:

- `admin`, `user`: the seeded account (FUZZ_USERNAME, FUZZ_KEY) while its
  key still answers `GET /api/accounts/me` with 200 (and `"admin": true`
  for the admin), else a new one of that role; each new one is a line in FUZZ_RESEEDS (a file).
- `fresh`: a new user for every case, for the operations that destroy the
  caller's key (deleting the account, replacing or handing out its key).
"""

import itertools
import json
import os
import subprocess

import requests
import schemathesis

ROLE = os.environ["FUZZ_ROLE"]
DOMAIN = os.environ["APP_SIP_DOMAIN"]
ME = os.environ["APP_URL"] + "/api/accounts/me"
_numbers = itertools.count(1)


def _headers(username, key):
    return {"x-api-key": key, "From": f"sip:{username}@{DOMAIN}"}


def _create(admin):
    username = f"{'fresh' if ROLE == 'fresh' else ROLE}{os.getpid()}x{next(_numbers)}"
    command = [os.environ["FLEXIAPI_BIN"], "accounts", "create", username,
               "--password", "fuzz-secret", "--activated", "--api-key"]
    if admin:
        command.append("--admin")
    created = subprocess.run(command, check=True, capture_output=True, text=True)
    if ROLE != "fresh":
        with open(os.environ["FUZZ_RESEEDS"], "a") as reseeds:
            reseeds.write(username + "\n")
    return _headers(username, json.loads(created.stdout)["api_key"])


@schemathesis.auth(refresh_interval=None)
class LiveAccount:
    def __init__(self):
        self.headers = None if ROLE == "fresh" else _headers(os.environ["FUZZ_USERNAME"], os.environ["FUZZ_KEY"])

    def get(self, case, context):
        if ROLE == "fresh":
            return _create(admin=False)
        if not self.alive():
            self.headers = _create(admin=ROLE == "admin")
        return self.headers

    def alive(self):
        me = requests.get(ME, headers=self.headers, timeout=10)
        return me.status_code == 200 and (ROLE != "admin" or me.json().get("admin") is True)

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}
