#!/usr/bin/env python3
"""Checks the server with the official MCP Python SDK (package `mcp`), as a real client would:
the tool catalogue, the tenant endpoint, and the Construction Kit workflow (create a tenant,
import a catalog model, poll the library status until Available, list the model's types).

Usage: python_client.py <mcp-url> [--tenant-path octosystem/mcp]

<mcp-url> is the server's MCP endpoint, e.g. http://127.0.0.1:8080/mcp. The tenant endpoint
is <mcp-url without its last path segment>/<tenant-path>. `cargo xtask test` runs this in a
venv with the SDK version pinned in xtask/python/requirements.txt.

Each endpoint is checked twice: with the SDK's default connection mode ("auto", which uses
the 2026-07-28 `server/discover` flow when the server offers it) and with "legacy" (the
initialize handshake of protocol 2025-11-25 and earlier). Prints one line per check and exits
non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
import uuid
from typing import Any

from mcp import Client

REQUIRED_TOOLS = ("list_available_tools", "get_tool_details")
MISSPELLED_TOOL = "list_available_toolz"
TIMEOUT_SECONDS = 30.0


class Checks:
    """Records and prints check results; `prefix` labels the current session."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.passed = 0
        self.prefix = ""

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        name = f"{self.prefix}{name}"
        if ok:
            self.passed += 1
            print(f"ok    {name}" + (f" ({detail})" if detail else ""), flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok


def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def text_json(result: Any) -> tuple[Any, str]:
    """The JSON parsed from the result's first text content block, or (None, reason)."""
    texts = [block for block in result.content if getattr(block, "type", None) == "text"]
    if not texts:
        return None, f"no text content block (content: {short([b.type for b in result.content])})"
    try:
        return json.loads(texts[0].text), ""
    except json.JSONDecodeError as error:
        return None, f"text block is not JSON ({error}): {short(texts[0].text)}"


def check_envelope(checks: Checks, label: str, result: Any, expect_success: bool) -> dict[str, Any] | None:
    """Checks isError, structuredContent and its text twin; returns structuredContent."""
    is_error = bool(result.is_error)
    checks.check(
        f"{label}: isError is {str(not expect_success).lower()}",
        is_error == (not expect_success),
        f"isError={result.is_error}",
    )
    structured = result.structured_content
    if not checks.check(
        f"{label}: structuredContent is an object",
        isinstance(structured, dict),
        f"got {short(structured)}" if not isinstance(structured, dict) else "",
    ):
        return None
    parsed, reason = text_json(result)
    checks.check(
        f"{label}: text content block holds the same JSON as structuredContent",
        parsed == structured,
        reason or ("" if parsed == structured else f"text={short(parsed)} structured={short(structured)}"),
    )
    checks.check(
        f"{label}: structuredContent.isSuccess is {str(expect_success).lower()}",
        structured.get("isSuccess") is expect_success,
        f"isSuccess={structured.get('isSuccess')!r}",
    )
    return structured


async def check_main_endpoint(checks: Checks, url: str, mode: str) -> None:
    async with Client(url, mode=mode, read_timeout_seconds=TIMEOUT_SECONDS) as client:
        info = client.server_info
        checks.check(
            f"connect to {url}",
            True,
            f"protocol {client.protocol_version}, server {info.name if info else '?'} {info.version if info else ''}".strip(),
        )

        listing = await client.list_tools()
        names = [tool.name for tool in listing.tools]
        for tool in REQUIRED_TOOLS:
            checks.check(f"tools/list lists {tool}", tool in names, f"{len(names)} tools listed")

        # list_available_tools
        result = await client.call_tool("list_available_tools", {})
        out = check_envelope(checks, "list_available_tools", result, expect_success=True)
        if out is not None:
            catalogue = out.get("tools")
            if checks.check(
                "list_available_tools: tools is an array",
                isinstance(catalogue, list),
                f"got {short(catalogue)}",
            ):
                catalogue_names = [t.get("name") for t in catalogue if isinstance(t, dict)]
                total = out.get("totalTools")
                checks.check(
                    "list_available_tools: totalTools equals the number of tools it lists",
                    total == len(catalogue),
                    f"totalTools={total!r}, listed={len(catalogue)}",
                )
                checks.check(
                    "list_available_tools: totalTools >= 2",
                    isinstance(total, int) and total >= 2,
                    f"totalTools={total!r}",
                )
                for tool in REQUIRED_TOOLS:
                    checks.check(f"list_available_tools: lists {tool}", tool in catalogue_names)
                not_in_mcp = [n for n in catalogue_names if n not in names]
                checks.check(
                    "list_available_tools: every tool it names is in tools/list",
                    not not_in_mcp,
                    f"missing from tools/list: {not_in_mcp}" if not_in_mcp else "",
                )
            categories = out.get("categories")
            if checks.check(
                "list_available_tools: categories is an object",
                isinstance(categories, dict),
                f"got {short(categories)}",
            ):
                checks.check(
                    "list_available_tools: category counts add up to totalTools",
                    sum(v for v in categories.values() if isinstance(v, int)) == out.get("totalTools"),
                    f"categories={short(categories)}",
                )

        # get_tool_details on a real tool
        result = await client.call_tool("get_tool_details", {"toolName": "list_available_tools"})
        out = check_envelope(checks, "get_tool_details(list_available_tools)", result, expect_success=True)
        if out is not None:
            checks.check(
                "get_tool_details(list_available_tools): names the tool",
                out.get("name") == "list_available_tools",
                f"name={out.get('name')!r}",
            )
            schema = out.get("inputSchema")
            checks.check(
                "get_tool_details(list_available_tools): has a parameter schema",
                isinstance(schema, dict) and schema.get("type") == "object",
                f"inputSchema={short(schema)}",
            )

        # get_tool_details on a misspelled tool: an error result with a suggestion
        result = await client.call_tool("get_tool_details", {"toolName": MISSPELLED_TOOL})
        out = check_envelope(checks, f"get_tool_details({MISSPELLED_TOOL})", result, expect_success=False)
        if out is not None:
            message = out.get("errorMessage")
            checks.check(
                f"get_tool_details({MISSPELLED_TOOL}): errorMessage suggests list_available_tools",
                isinstance(message, str) and "list_available_tools" in message,
                f"errorMessage={message!r}",
            )


async def check_tenant_endpoint(checks: Checks, url: str, mode: str) -> None:
    async with Client(url, mode=mode, read_timeout_seconds=TIMEOUT_SECONDS) as client:
        checks.check(f"connect to {url}", True, f"protocol {client.protocol_version}")
        listing = await client.list_tools()
        names = [tool.name for tool in listing.tools]
        for tool in REQUIRED_TOOLS:
            checks.check(f"tenant tools/list lists {tool}", tool in names, f"{len(names)} tools listed")
        result = await client.call_tool("list_available_tools", {})
        check_envelope(checks, "tenant list_available_tools", result, expect_success=True)


async def check_ck_workflow(checks: Checks, url: str, mode: str) -> None:
    """Create a tenant, import a catalog model, poll its status until Available, list its types."""
    tenant = f"e2e{mode}{uuid.uuid4().hex[:8]}"
    async with Client(url, mode=mode, read_timeout_seconds=TIMEOUT_SECONDS) as client:
        result = await client.call_tool("create_tenant", {"childTenantId": tenant})
        out = check_envelope(checks, "create_tenant", result, expect_success=True)
        checks.check("create_tenant: names the new tenant", (out or {}).get("tenantId") == tenant, short(out))

        result = await client.call_tool(
            "import_ck_from_catalog",
            {"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": tenant},
        )
        out = check_envelope(checks, "import_ck_from_catalog", result, expect_success=True)
        checks.check(
            "import_ck_from_catalog: enqueues the model and its dependency",
            (out or {}).get("modelsToImport") == ["Octo.Assets-1.0.0", "Octo.Industry.Energy-1.0.0"],
            short(out),
        )

        states: dict[str, Any] = {}
        deadline = asyncio.get_running_loop().time() + TIMEOUT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            result = await client.call_tool("get_ck_library_status", {"tenantId": tenant})
            status = (result.structured_content or {}).get("status") or []
            states = {m.get("modelName"): m.get("modelState") for m in status if isinstance(m, dict)}
            if states.get("Octo.Industry.Energy") in ("Available", "ResolveFailed"):
                break
            await asyncio.sleep(0.2)
        checks.check(
            "get_ck_library_status: the imported model becomes Available",
            states.get("Octo.Industry.Energy") == "Available" and states.get("Octo.Assets") == "Available",
            short(states),
        )

        result = await client.call_tool(
            "get_available_types", {"tenantId": tenant, "ckModelId": "Octo.Industry.Energy"}
        )
        out = check_envelope(checks, "get_available_types", result, expect_success=True)
        type_ids = [t.get("ckTypeId") for t in (out or {}).get("types") or [] if isinstance(t, dict)]
        checks.check(
            "get_available_types: lists Octo.Industry.Energy/EnergyMeter",
            "Octo.Industry.Energy/EnergyMeter" in type_ids,
            short(type_ids),
        )

        result = await client.call_tool("delete_tenant", {"tenantId": tenant})
        out = check_envelope(checks, "delete_tenant without confirm", result, expect_success=False)
        checks.check(
            "delete_tenant without confirm: refuses with the spec's message",
            str((out or {}).get("errorMessage", "")).startswith(f"Refusing to delete '{tenant}' without confirm=true."),
            short(out),
        )
        result = await client.call_tool("delete_tenant", {"tenantId": tenant, "confirm": True})
        check_envelope(checks, "delete_tenant with confirm", result, expect_success=True)


def describe(error: BaseException) -> str:
    """The leaf exceptions of an (possibly nested) exception group, one per line."""
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"


async def run(checks: Checks, label: str, coroutine: Any) -> None:
    try:
        await coroutine
    except Exception as error:  # noqa: BLE001 - every failure is reported as a failed check
        checks.check(label, False, describe(error))
        traceback.print_exception(error, file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the MCP endpoint, e.g. http://127.0.0.1:8080/mcp")
    parser.add_argument("--tenant-path", default="octosystem/mcp", help="tenant endpoint path below the base URL")
    args = parser.parse_args()

    url = args.url.rstrip("/")
    base = url.rsplit("/", 1)[0]
    tenant_url = f"{base}/{args.tenant_path.strip('/')}"

    checks = Checks()
    # "auto" is the SDK's default: it probes `server/discover` (2026-07-28 protocol) and falls
    # back to the initialize handshake; "legacy" always uses the initialize handshake.
    for mode in ("auto", "legacy"):
        checks.prefix = f"[{mode}] "
        asyncio.run(run(checks, f"session with {url}", check_main_endpoint(checks, url, mode)))
        asyncio.run(run(checks, f"session with {tenant_url}", check_tenant_endpoint(checks, tenant_url, mode)))
        asyncio.run(run(checks, f"CK workflow on {url}", check_ck_workflow(checks, url, mode)))

    if checks.failed:
        print(f"python client: {len(checks.failed)} of {checks.passed + len(checks.failed)} checks failed:")
        for name in checks.failed:
            print(f"  - {name}")
        return 1
    print(f"python client: all {checks.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
