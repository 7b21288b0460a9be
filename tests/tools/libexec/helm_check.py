"""helm-check: lint (strict), schema-check and render a Helm chart offline with helm-python-sdk.

Usage: helm-check [--name NAME] [--namespace NS] [--kube-version vX.Y.Z] CHART [VALUES.yaml...]

The values files are merged in order (later files win, maps merge deeply, like `helm -f a -f b`).
The rendered manifests go to stdout as one multi-document YAML stream, each document headed by
`# Source: <template>` like `helm template`; findings go to stderr. Exit 0 when the chart lints
clean in strict mode (INFO findings are printed but allowed), the merged values satisfy
values.schema.json, every template renders and every rendered document parses as YAML; exit 1
otherwise; exit 2 on bad usage.

helm-python-sdk binds to libhelm_c, the C ABI over the Helm v4 Go SDK: no cluster, no network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


def merge_maps(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's `-f` merge (pkg/cli/values mergeMaps): nested maps merge, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="helm-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("chart", type=Path)
    parser.add_argument("values", type=Path, nargs="*")
    parser.add_argument("--name", default="release", help="release name (default: release)")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--kube-version", help="kube version for lint, e.g. v1.31.0")
    args = parser.parse_args(argv)

    def finding(kind: str, text: str) -> None:
        for i, line in enumerate(text.rstrip("\n").splitlines() or [""]):
            print(f"helm-check: {kind}: {line}" if i == 0 else f"helm-check:   {line}", file=sys.stderr)

    if not (args.chart / "Chart.yaml").is_file():
        finding("ERROR", f"{args.chart}: not a chart directory (no Chart.yaml)")
        return 1

    failed = False
    values: dict[str, Any] = {}
    for path in args.values:
        try:
            loaded = helm.values_from_yaml(path.read_text())
        except (OSError, helm.HelmError) as err:
            finding("ERROR", f"{path}: {err}")
            failed = True
            continue
        values = merge_maps(values, loaded)
    if failed:
        return 1

    # 1. helm lint --strict: template parse errors, YAML errors in the output, schema violations.
    report = helm.lint(args.chart, values, strict=True, namespace=args.namespace,
                       kube_version=args.kube_version)
    for msg in report.get("messages", []):
        severity = msg.get("severity", 0)
        finding(f"lint {SEVERITY.get(severity, severity)}", f"{msg.get('path', '')}: {msg.get('error', '')}")
        if severity != 1:  # strict: warnings, errors and unknowns all fail
            failed = True
    for err in report.get("errors", []):
        if not any(err == m.get("error") for m in report.get("messages", [])):
            finding("lint ERROR", err)
        failed = True

    with helm.Chart.load(args.chart) as chart:
        # 2. values.schema.json against the coalesced values (lint checks this too; this gives
        #    every violation in one message even when lint stops early).
        try:
            chart.validate_schema(chart.merge_values(values))
        except helm.HelmError as err:
            finding("schema ERROR", str(err))
            failed = True

        # 3. helm template, offline.
        try:
            rendered = chart.render(values, name=args.name, namespace=args.namespace,
                                    is_install=True)
        except helm.HelmError as err:
            finding(f"render ERROR ({type(err).__name__})", str(err))
            return 1

    out: list[str] = []
    for source in sorted(rendered):
        text = rendered[source]
        if source.endswith("NOTES.txt") or not text.strip():
            continue
        try:
            list(yaml.safe_load_all(text))
        except yaml.YAMLError as err:
            finding("render ERROR", f"{source}: rendered output is not valid YAML: {err}")
            failed = True
        out.append(f"---\n# Source: {source}\n{text.rstrip()}\n")
    if not out:
        finding("render WARNING", "the chart rendered no manifests")
        failed = True
    sys.stdout.write("".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
