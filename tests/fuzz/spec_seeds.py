#!/usr/bin/env python3
"""Turns the example messages of the DIP OpenAPI spec into libFuzzer seeds (run by scripts/fuzz).

    spec_seeds.py SPEC_DIR OUT_DIR

For every example under components/examples of SPEC_DIR/Examples-unresolved.yaml (a message
array, or a single message, which is wrapped in one), writes
    OUT_DIR/fuzz_envelope/spec-<name>.json      the array as compact JSON
    OUT_DIR/fuzz_routing/spec-<name>.json       the same (routing reads message arrays too)
    OUT_DIR/fuzz_http_request/spec-<name>.http  a POST of it to its interface's /dip-channel
The seeds go to the fuzz build tree only: the spec's text never enters the repository.
"""
import json
import pathlib
import re
import sys

import yaml


def interface_of(message) -> str:
    """S0's interfaceID (some examples spell it InterfaceID), or ""."""
    try:
        s0 = message["payload"]["CommonBlock"]["S0"]
    except (KeyError, TypeError):
        return ""
    for key, value in s0.items():
        if key.lower() == "interfaceid" and isinstance(value, str):
            return value
    return ""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    examples_file = spec / "Examples-unresolved.yaml"
    doc = yaml.safe_load(examples_file.read_text(encoding="utf-8"))
    examples = (doc.get("components") or {}).get("examples") or {}
    dirs = {t: out / t for t in ("fuzz_envelope", "fuzz_routing", "fuzz_http_request")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, example in examples.items():
        value = (example or {}).get("value")
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not value:
            continue
        # default=str: YAML dates and times the spec left unquoted become strings.
        body = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
        channel = interface_of(value[0]) or "IF-061"
        stem = "spec-" + re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))
        data = body.encode("utf-8")
        (dirs["fuzz_envelope"] / (stem + ".json")).write_bytes(data)
        (dirs["fuzz_routing"] / (stem + ".json")).write_bytes(data)
        request = (
            f"POST /dip-channel/{channel} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            f"Content-Type: application/json\r\nX-API-Key: sds-key\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode("ascii") + data
        (dirs["fuzz_http_request"] / (stem + ".http")).write_bytes(request)
        written += 1
    print(f"{written} spec examples from {examples_file}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
