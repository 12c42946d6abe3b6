"""Schemathesis hooks for scripts/fuzz/run.py: who each request is from, a
record of what each operation answered, and one check of our own.

run.py signs the fuzz users in before the run and leaves their access
tokens in $FUZZ_TOKENS. Every operation that takes a bearer token gets the
owner's, except two that end sessions: POST /api/auth/logout, which would
end the owner's for the rest of the run, gets a session of its own (the
editor's), and DELETE /api/me/sessions/{session_id} acts as the editor,
whose spare session it ends (the owner's revoke-others would end an owner's
spare session first). Schemathesis still sends requests without the token,
or with a broken one, where it tests authentication itself.
"""

import atexit
import json
import os

import schemathesis

TOKENS = json.loads(open(os.environ["FUZZ_TOKENS"]).read())


@schemathesis.auth(refresh_interval=None, retry_on=[])
class FuzzUsers:
    def get(self, case, context):
        label = context.operation.label
        if label == "POST /api/auth/logout":
            return TOKENS["editor_logout"]
        if label == "DELETE /api/me/sessions/{session_id}":
            return TOKENS["editor"]
        return TOKENS["owner"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# Which statuses each operation answered, for run.py's summary: an
# operation that never answered 2xx was only ever refused, which the
# summary says, so a reader knows what the fuzzer did not reach.
STATUSES: dict[str, dict[int, int]] = {}


@schemathesis.hook
def after_call(context, case, response):
    seen = STATUSES.setdefault(case.operation.label, {})
    seen[response.status_code] = seen.get(response.status_code, 0) + 1


# Defects found by the fuzzer whose fix belongs elsewhere: reported and
# printed by run.py, but not failing the run. Remove an entry once fixed
# (run.py says when one no longer reproduces).
KNOWN_DEFECTS: dict[str, str] = {}
SEEN_KNOWN: dict[str, str] = {}


@atexit.register
def _write_statuses():
    if "FUZZ_STATUSES" in os.environ:
        with open(os.environ["FUZZ_STATUSES"], "w") as out:
            json.dump({"statuses": STATUSES, "known": SEEN_KNOWN, "known_defects": KNOWN_DEFECTS}, out, indent=1)


@schemathesis.check
def unknown_ids_are_refused(ctx, response, case):
    """In the unknown-ids pass, no id but the org's names a real object, so
    a 2xx answer means a route answered for something that does not exist
    (as if it did) instead of 404."""
    if os.environ.get("FUZZ_PASS") != "unknown-ids":
        return None
    ids = [p for p in (case.path_parameters or {}) if p != "org_id"]
    if ids and 200 <= response.status_code < 300:
        if case.operation.label in KNOWN_DEFECTS:
            SEEN_KNOWN[case.operation.label] = KNOWN_DEFECTS[case.operation.label]
            return None
        raise AssertionError(
            f"{response.status_code} for {', '.join(f'{p}={case.path_parameters[p]}' for p in ids)}, "
            "which names nothing: expected 404"
        )
    return None
