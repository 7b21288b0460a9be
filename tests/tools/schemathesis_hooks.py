"""schemathesis hooks for tests/e2e/schemathesis.rs (SCHEMATHESIS_HOOKS=schemathesis_hooks).

A valid Idempotency-Key is made unique per request: the API answers a reused key with the first
request's result, or a 422 when the body differs (as the IETF Idempotency-Key draft asks), and
schemathesis would otherwise reuse the few keys it generates across unrelated requests and
scenario replays. Invalid keys (negative tests) are left as generated.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def map_headers(ctx, headers):
    if headers is not None:
        key = headers.get("Idempotency-Key")
        if isinstance(key, str) and VALID_KEY.match(key):
            headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers
