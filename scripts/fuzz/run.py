"""Fuzz the running API with Schemathesis, from the committed OpenAPI document.

Before the fuzzer starts, this builds what its requests should meet: a
signed-in owner with a confirmed address, an organisation with members, a
project, a 90-slot plan drafted by the LLM simulator, an upload, a
credential, a linked TikTok account (through the TikTok simulator), plus
throwaway objects for the destructive operations. Their ids reach the
configs as environment variables (path parameters), the tokens reach
hooks.py through a JSON file. Two passes follow: schemathesis.toml with
those objects in every path, then unknown-ids.toml with only the org real.

    python scripts/fuzz/run.py --api URL --mail-api URL --out DIR [-- schemathesis run options]

Exits non-zero when either pass found a failure; reports go to DIR/<pass>.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PASSWORD = "fuzz-run-Pa55word-not-common"
# Real objects in every path first, then unknown ids in the real org.
PASSES = [("objects", "schemathesis.toml"), ("unknown-ids", "unknown-ids.toml")]


def log(message: str) -> None:
    print(f"\033[1;34m[fuzz]\033[0m {message}", file=sys.stderr, flush=True)


class Api:
    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/")
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int | tuple[int, ...], **kwargs) -> requests.Response:
        response = self.http.request(method, self.base + path, allow_redirects=False, timeout=30, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in wanted:
            raise SystemExit(f"setup: {method} {path} answered {response.status_code}: {response.text[:500]}")
        return response

    def json(self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs):
        response = self.call(method, path, expect, **kwargs)
        return response.json() if response.content else None


def mail_to(mail_api: str, to: str, subject: str) -> str:
    """The text of the newest mail to `to` whose subject has `subject`."""
    for _ in range(150):
        mails = requests.get(f"{mail_api}/email", timeout=10).json()
        for mail in reversed(mails):
            if any(a["address"] == to for a in mail["to"]) and subject in mail["subject"]:
                return mail["text"]
        time.sleep(0.2)
    raise SystemExit(f"setup: no mail {subject!r} to {to}")


def token_in(text: str) -> str:
    match = re.search(r"token=([\w-]+)", text)
    if not match:
        raise SystemExit(f"setup: no token in the mail:\n{text}")
    return match.group(1)


class Setup:
    def __init__(self, api: str, mail_api: str):
        self.base = api
        self.mail_api = mail_api
        self.stamp = f"{int(time.time())}-{os.getpid()}"
        self.anon = Api(api)

    def email(self, who: str) -> str:
        return f"fuzz-{who}-{self.stamp}@example.com"

    def login(self, email: str) -> dict:
        return self.anon.json("POST", "/api/auth/login", json={"email": email, "password": PASSWORD})

    def verified_user(self, who: str) -> tuple[str, dict]:
        """Registers `who`, confirms the address from the mail, signs in."""
        email = self.email(who)
        self.anon.call("POST", "/api/auth/register", 202,
                       json={"email": email, "password": PASSWORD, "display_name": f"Fuzz {who}"})
        token = token_in(mail_to(self.mail_api, email, "Confirm your email"))
        self.anon.call("POST", "/api/auth/verify-email", 204, json={"token": token})
        return email, self.login(email)

    def wait_plan(self, owner: Api, org: str, plan: str) -> dict:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            view = owner.json("GET", f"/api/orgs/{org}/plans/{plan}")
            if view["status"] == "ready":
                return view
            if view["status"] == "failed":
                raise SystemExit(f"setup: the plan failed: {view.get('failure')}")
            time.sleep(0.5)
        raise SystemExit("setup: the plan was not drafted within 120 s")

    def run(self) -> tuple[dict, dict]:
        """Returns (the environment for schemathesis.toml, the tokens for hooks.py)."""
        owner_email, owner_login = self.verified_user("owner")
        owner = Api(self.base, owner_login["access_token"])

        org = owner.json("POST", "/api/orgs", 201, json={"name": "Fuzz Kitchen"})["id"]
        doomed_org = owner.json("POST", "/api/orgs", 201, json={"name": "Fuzz doomed org"})["id"]

        # Members to change and to remove. The editor signs in twice more:
        # one session for POST /api/auth/logout to end, one for DELETE
        # /api/me/sessions/{id} (as the editor, so the owner's
        # revoke-others cannot end it first).
        members = {}
        for who, role in (("editor", "editor"), ("viewer", "viewer")):
            email, login = self.verified_user(who)
            owner.json("POST", f"/api/orgs/{org}/invitations", 201, json={"email": email, "role": role})
            token = token_in(mail_to(self.mail_api, email, "Join Fuzz Kitchen"))
            Api(self.base, login["access_token"]).json("POST", "/api/invitations/accept", json={"token": token})
            members[who] = login
        invitation = owner.json("POST", f"/api/orgs/{org}/invitations", 201,
                                json={"email": self.email("invitee"), "role": "viewer"})["id"]

        project = owner.json("POST", f"/api/orgs/{org}/projects", 201,
                             json={"name": "Weeknight dinners", "niche": "quick family dinners",
                                   "audience": "busy parents", "brand_voice": "warm, practical"})["id"]
        doomed_project = owner.json("POST", f"/api/orgs/{org}/projects", 201, json={"name": "Doomed"})["id"]

        start = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        plan = owner.json("POST", f"/api/orgs/{org}/projects/{project}/plans", (200, 202),
                          json={"start_date": start})["plan_id"]
        later = (dt.date.today() + dt.timedelta(days=40)).isoformat()
        # A second plan of its own for /regenerate, which redrafts slots.
        spare_plan = owner.json("POST", f"/api/orgs/{org}/projects/{project}/plans", (200, 202),
                                json={"start_date": later})["plan_id"]
        self.wait_plan(owner, org, plan)
        self.wait_plan(owner, org, spare_plan)
        slots = owner.json("GET", f"/api/orgs/{org}/plans/{plan}/slots")
        if len(slots) != 90:
            raise SystemExit(f"setup: the plan has {len(slots)} slots, not 90")
        log(f"plan {plan} drafted: {len(slots)} slots")

        # Slots approved beforehand, for the operations that need one.
        approved = []
        for slot in slots[:3]:
            owner.json("POST", f"/api/orgs/{org}/slots/{slot['id']}/approve", json={"version": slot["version"]})
            approved.append(slot["id"])
        drafts = [s["id"] for s in slots[3:]]

        asset = owner.json("POST", f"/api/orgs/{org}/uploads", 201, data=tiny_png(),
                           headers={"Content-Type": "image/png"})
        link = urlsplit(asset["url"])
        media = {k: v[0] for k, v in parse_qs(link.query).items()}

        credential = owner.json("POST", f"/api/orgs/{org}/credentials", 201,
                                json={"provider": "tiktok", "label": "fuzz", "secret": "fuzz-secret-0123456789"})["id"]
        doomed_credential = owner.json("POST", f"/api/orgs/{org}/credentials", 201,
                                       json={"provider": "tiktok", "label": "doomed",
                                             "secret": "fuzz-secret-9876543210"})["id"]

        account = self.link_tiktok(owner, org)
        editor_email = members["editor"]["user"]["email"]
        logout_session = self.login(editor_email)
        spare_session = self.login(editor_email)

        env = {
            "FUZZ_ORG_ID": org,
            "FUZZ_DOOMED_ORG_ID": doomed_org,
            "FUZZ_PROJECT_ID": project,
            "FUZZ_DOOMED_PROJECT_ID": doomed_project,
            "FUZZ_PLAN_ID": plan,
            "FUZZ_SPARE_PLAN_ID": spare_plan,
            "FUZZ_EDITOR_ID": members["editor"]["user"]["id"],
            "FUZZ_VIEWER_ID": members["viewer"]["user"]["id"],
            "FUZZ_INVITATION_ID": invitation,
            "FUZZ_SESSION_ID": spare_session["session_id"],
            "FUZZ_ASSET_ID": asset["id"],
            "FUZZ_MEDIA_KEY": media.get("key", ""),
            "FUZZ_MEDIA_EXPIRES": media.get("expires", ""),
            "FUZZ_MEDIA_SIGNATURE": media.get("signature", ""),
            "FUZZ_CREDENTIAL_ID": credential,
            "FUZZ_DOOMED_CREDENTIAL_ID": doomed_credential,
            "FUZZ_TIKTOK_ACCOUNT_ID": account,
            # One slot per slot operation, so one operation's changes do not
            # decide another's answers; the approved ones where that is the
            # state the operation is for.
            "FUZZ_SLOT_ID": drafts[0],
            "FUZZ_SLOT_EDIT_ID": drafts[1],
            "FUZZ_SLOT_APPROVE_ID": drafts[2],
            "FUZZ_SLOT_BACKGROUND_ID": drafts[3],
            "FUZZ_SLOT_IMPROVE_ID": drafts[4],
            "FUZZ_SLOT_LOCK_ID": drafts[5],
            "FUZZ_SLOT_UNLOCK_ID": drafts[6],
            "FUZZ_SLOT_REJECT_ID": drafts[7],
            "FUZZ_SLOT_RETRY_ID": drafts[8],
            "FUZZ_SLOT_RENDER_ID": approved[0],
            "FUZZ_SLOT_UNAPPROVE_ID": approved[1],
            "FUZZ_SLOT_PUBLISH_ID": approved[2],
        }
        tokens = {
            "owner": owner_login["access_token"],
            "editor_logout": logout_session["access_token"],
            "editor": members["editor"]["access_token"],
        }
        return env, tokens

    def link_tiktok(self, owner: Api, org: str) -> str:
        """Through the TikTok simulator's consent, as a browser would."""
        url = owner.json("POST", f"/api/orgs/{org}/tiktok/connect")["authorize_url"]
        consent = requests.get(url, allow_redirects=False, timeout=10)
        if consent.status_code != 302:
            raise SystemExit(f"setup: TikTok's authorize page answered {consent.status_code}: {consent.text[:300]}")
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        state, code = back["state"][0], back["code"][0]
        owner.json("POST", "/api/tiktok/connections/exchange", json={"state": state, "code": code})
        return owner.json("POST", "/api/tiktok/connections/confirm", json={"state": state})["id"]


def tiny_png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", required=True, help="the API's base URL")
    parser.add_argument("--mail-api", required=True, help="the mail catcher's HTTP API")
    parser.add_argument("--out", required=True, help="where the state and the reports go")
    parser.add_argument("--schema", default=str(ROOT / "docs" / "openapi.json"), help="the OpenAPI document")
    parser.add_argument("extra", nargs="*", help="more schemathesis run options (after --)")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    env, tokens = Setup(args.api, args.mail_api).run()
    state = out / "tokens.json"
    state.write_text(json.dumps(tokens))
    (out / "ids.json").write_text(json.dumps(env, indent=2))
    log(f"setup done in {time.monotonic() - started:.0f} s; fuzzing {args.api}")

    # The ids of objects of the fuzz run, for the configs' ${...}.
    run_env = {**os.environ, **env, "FUZZ_TOKENS": str(state), "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py")}
    failed = []
    for name, config in PASSES:
        fuzzing = time.monotonic()
        report = out / name
        statuses = report / "statuses.json"
        report.mkdir(exist_ok=True)
        log(f"pass {name}: {config}")
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file", str(HERE / config),
            "run", args.schema,
            "--url", args.api,
            "--report", "junit,ndjson",
            "--report-dir", str(report),
            *args.extra,
        ]
        status = subprocess.call(
            command, env={**run_env, "FUZZ_PASS": name, "FUZZ_STATUSES": str(statuses)}, cwd=report
        )
        summarize(name, statuses)
        log(f"pass {name}: {time.monotonic() - fuzzing:.0f} s, schemathesis exited {status}")
        if status != 0 and not only_interpreter_errors(name, report):
            failed.append(name)
    log(f"fuzzing done in {time.monotonic() - started:.0f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


# Exceptions raised inside the Python interpreter Schemathesis runs on, not
# answers of the API: CPython 3.11 before 3.11.8 raises "AST constructor
# recursion depth mismatch" (gh-106905) when Hypothesis parses a lambda's
# source deep in its coverage phase.
INTERPRETER_ERRORS = {"SystemError", "RecursionError"}


def only_interpreter_errors(name: str, report: Path) -> bool:
    """Whether a failed pass failed only on interpreter errors: no check
    failed (JUnit failures 0) and every error Schemathesis recorded is one
    of INTERPRETER_ERRORS. Those are printed, and the pass is not failed."""
    junits = sorted(report.glob("junit-*.xml"))
    ndjsons = sorted(report.glob("ndjson-*.ndjson"))
    if not junits or not ndjsons:
        return False
    suites = ElementTree.parse(junits[-1]).getroot()
    if int(suites.get("failures", "1")) != 0:
        return False
    errors = []
    for line in ndjsons[-1].read_text().splitlines():
        event = json.loads(line)
        if "NonFatalError" in event:
            error = event["NonFatalError"]
            errors.append((error.get("label"), error["value"]["type"], error["value"]["message"]))
        elif "FatalError" in event:
            return False
    if not errors or any(kind not in INTERPRETER_ERRORS for _, kind, _ in errors):
        return False
    for label, kind, message in errors:
        log(f"pass {name}: Schemathesis itself raised {kind} on {label} ({message}); not an API defect")
    return True


def summarize(name: str, path: Path) -> None:
    """Says which operations never got past a refusal (no 2xx or 3xx), and
    which known defects (hooks.py) showed up or no longer do."""
    if not path.exists():
        return
    recorded = json.loads(path.read_text())
    statuses, known = recorded["statuses"], recorded["known"]
    if name == "objects":
        refused = {
            label: counts for label, counts in statuses.items() if not any(code[0] in "23" for code in counts)
        }
        log(f"{len(statuses)} operations called, {len(statuses) - len(refused)} answered 2xx/3xx at least once")
        for label, counts in sorted(refused.items()):
            seen = ", ".join(f"{code}x{n}" for code, n in sorted(counts.items()))
            log(f"  only refusals: {label} ({seen})")
    if name == "unknown-ids":
        for label, why in sorted(known.items()):
            log(f"  known defect, not failing the run: {label}: {why}")
        for label in sorted(set(recorded["known_defects"]) - set(known)):
            log(f"  known defect no longer seen (remove it from hooks.py's KNOWN_DEFECTS?): {label}")


if __name__ == "__main__":
    sys.exit(main())
