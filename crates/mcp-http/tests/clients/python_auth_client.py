#!/usr/bin/env python3
"""Logs in to the server with the official MCP Python SDK (package `mcp`), as a user would.

Usage: python_auth_client.py <base-url> <dev-idp-password>

<base-url> is the server's root, e.g. http://127.0.0.1:8080, started with authentication on
(the default device-flow mode) and its built-in identity provider at <base-url>/dev-idp, whose
user `admin` has <dev-idp-password>. `cargo xtask test` (stage python-client) starts such a
server and runs this in a venv with the SDK pinned in xtask/python/requirements.txt.

Checks, each printed as one line (exit status 1 if any failed):
1. In an MCP session (the initialize handshake): a gated tool answers "Not authenticated";
   `authenticate` returns a user code and verification URL; the verification page is filled in
   over HTTP as a browser would; `check_auth_status` is polled as it asks until the login is
   stored; the gated tool then succeeds and `whoami` names the user and tenant.
2. Without a session (the SDK's default mode, stateless where offered): the device flow is run
   against the provider directly, and the access token is sent as `Authorization: Bearer`;
   `whoami` and a gated tool succeed; a tampered token is refused.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

TENANT = "octosystem"
USER = "admin"
CLIENT_ID = "octo-mcpServices-device"
TIMEOUT_SECONDS = 30.0
# The provider's poll interval is 5 s; a login takes one or two polls.
MAX_POLLS = 12


class Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {name}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def envelope(result: Any) -> dict[str, Any]:
    content = result.structured_content
    return content if isinstance(content, dict) else {}


async def browser_login(http: httpx2.AsyncClient, verification_uri: str, user_code: str,
                        password: str) -> tuple[int, str]:
    """Opens the verification page and submits its form, as a person's browser would."""
    page = await http.get(verification_uri, params={"user_code": user_code})
    if page.status_code != 200:
        return page.status_code, page.text
    answer = await http.post(verification_uri, data={
        "user_code": user_code, "username": USER, "password": password, "action": "approve",
    })
    return answer.status_code, answer.text


async def session_login(base: str, password: str, checks: Checks) -> None:
    async with Client(f"{base}/mcp", mode="legacy", read_timeout_seconds=TIMEOUT_SECONDS) as client:
        before = envelope(await client.call_tool("get_tenants", {"tenantId": TENANT}))
        checks.check("session: a gated tool needs a login",
                     before.get("isSuccess") is False
                     and str(before.get("errorMessage", "")).startswith("Not authenticated"),
                     str(before.get("errorMessage")))

        started = envelope(await client.call_tool("authenticate", {"tenantId": TENANT}))
        user_code = started.get("userCode")
        verification_uri = started.get("verificationUri")
        if not checks.check("session: authenticate returns a code and a URL",
                            started.get("isSuccess") is True and bool(user_code)
                            and bool(verification_uri), str(started)):
            return

        async with httpx2.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            status, page = await browser_login(http, verification_uri, user_code, password)
        if not checks.check("session: the browser login is accepted", status == 200,
                            f"{status}: {page[:200]}"):
            return

        status: dict[str, Any] = {}
        for _ in range(MAX_POLLS):
            status = envelope(await client.call_tool("check_auth_status", {}))
            if status.get("isAuthenticated") or not status.get("isPending"):
                break
            await asyncio.sleep(max(1, int(status.get("retryAfterSeconds") or 5)))
        checks.check("session: check_auth_status stores the login",
                     status.get("isAuthenticated") is True, str(status))

        after = envelope(await client.call_tool("get_tenants", {"tenantId": TENANT}))
        checks.check("session: the gated tool now succeeds", after.get("isSuccess") is True,
                     str(after.get("errorMessage")))
        me = envelope(await client.call_tool("whoami", {}))
        checks.check("session: whoami names the user and tenant",
                     me.get("isSuccess") is True and USER in str(me) and TENANT in str(me),
                     str(me)[:300])


async def device_token(base: str, password: str) -> str:
    """Runs the device flow against the provider itself and returns the access token."""
    issuer = f"{base}/dev-idp"
    async with httpx2.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
        metadata = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        grant = (await http.post(metadata["device_authorization_endpoint"], data={
            "client_id": CLIENT_ID, "scope": "openid profile octo_api offline_access",
            "acr_values": f"tenant:{TENANT}",
        })).json()
        status, page = await browser_login(http, grant["verification_uri"], grant["user_code"],
                                           password)
        if status != 200:
            raise RuntimeError(f"browser login failed ({status}): {page[:200]}")
        interval = int(grant.get("interval", 5))
        deadline = time.monotonic() + MAX_POLLS * interval
        while time.monotonic() < deadline:
            await asyncio.sleep(interval)
            token = (await http.post(metadata["token_endpoint"], data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": grant["device_code"], "client_id": CLIENT_ID,
            })).json()
            if "access_token" in token:
                return token["access_token"]
            if token.get("error") == "slow_down":
                interval += 5
            elif token.get("error") != "authorization_pending":
                raise RuntimeError(f"token endpoint refused: {token}")
    raise RuntimeError("the device flow did not finish in time")


async def bearer_calls(base: str, token: str) -> dict[str, Any]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with Client(streamable_http_client(f"{base}/mcp", http_client=http),
                      read_timeout_seconds=TIMEOUT_SECONDS) as client:
        me = envelope(await client.call_tool("whoami", {}))
        tenants = envelope(await client.call_tool("get_tenants", {"tenantId": TENANT}))
        return {"whoami": me, "get_tenants": tenants}


async def bearer_login(base: str, password: str, checks: Checks) -> None:
    token = await device_token(base, password)
    answers = await bearer_calls(base, token)
    me = answers["whoami"]
    checks.check("bearer: whoami names the user", me.get("isSuccess") is True and USER in str(me),
                 str(me)[:300])
    checks.check("bearer: a gated tool succeeds", answers["get_tenants"].get("isSuccess") is True,
                 str(answers["get_tenants"].get("errorMessage")))

    # Flip one character of the signature: the server must refuse the token.
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    try:
        refused = await bearer_calls(base, tampered)
        outcome = refused["get_tenants"]
        checks.check("bearer: a tampered token is refused",
                     outcome.get("isSuccess") is False
                     and "Not authenticated" in str(outcome.get("errorMessage")),
                     str(outcome.get("errorMessage")))
    except Exception as error:  # noqa: BLE001 - a 401 at the transport is a refusal too
        checks.check("bearer: a tampered token is refused", "401" in repr(error), repr(error))


async def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, password = sys.argv[1].rstrip("/"), sys.argv[2]
    checks = Checks()
    for name, scenario in (("session", session_login), ("bearer", bearer_login)):
        try:
            await scenario(base, password, checks)
        except Exception:  # noqa: BLE001 - report and go on with the next scenario
            checks.check(f"{name}: ran to the end", False, traceback.format_exc())
    print(f"{checks.passed} passed, {len(checks.failed)} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
