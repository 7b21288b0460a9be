"""promop-check: validate prometheus-operator custom resources with the cloudcoil pydantic models.

Usage: promop-check FILE...   (YAML or JSON; multi-document YAML allowed)

Each document whose apiVersion is monitoring.coreos.com/v1 or /v1alpha1 and whose kind has a model
(PrometheusRule, ServiceMonitor, PodMonitor, Probe, ... from
cloudcoil-models-prometheus-operator, generated from the operator's CRDs) is validated; every
pydantic error is printed with its path. pydantic drops unknown keys silently, so the input is
also diffed against model_dump(exclude_unset=True, by_alias=True) and every key that did not
survive the round trip is reported as an unknown field. When a document does not validate (no
dump to diff), unknown keys are found by walking the input along the models' field types. Documents of other kinds are skipped with
a note on stderr (send them to kubernetes-validate). PromQL is not parsed: use promtool.

Exit 0 when every handled document is valid, 1 on any error (including unreadable files, YAML
errors and empty input), 2 on bad usage.
"""

from __future__ import annotations

import importlib
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pydantic
import yaml

GROUP = "monitoring.coreos.com"
MODULES = {f"{GROUP}/v1": "cloudcoil.models.prometheus_operator.v1",
           f"{GROUP}/v1alpha1": "cloudcoil.models.prometheus_operator.v1alpha1"}
_models: dict[str, dict[str, type]] = {}


def models_for(api_version: str) -> dict[str, type] | None:
    """kind -> model class for one API version; imported lazily (v1 alone takes ~2 s)."""
    if api_version not in MODULES:
        return None
    if api_version not in _models:
        from cloudcoil.resources import Resource

        module = importlib.import_module(MODULES[api_version])
        _models[api_version] = {
            cls.gvk().kind: cls
            for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, Resource) and cls.__module__ == module.__name__
        }
    return _models[api_version]


def unknown_keys(given: Any, kept: Any, path: str = "") -> list[str]:
    """Paths (JSON-pointer style) present in the input but absent after the model round trip."""
    found: list[str] = []
    if isinstance(given, dict) and isinstance(kept, dict):
        for key, value in given.items():
            sub = f"{path}/{key}"
            if key not in kept:
                found.append(sub)
            else:
                found.extend(unknown_keys(value, kept[key], sub))
    elif isinstance(given, list) and isinstance(kept, list):
        for i, (a, b) in enumerate(zip(given, kept)):
            found.extend(unknown_keys(a, b, f"{path}/{i}"))
    return found


def unknown_keys_by_type(ann: Any, data: Any, path: str = "") -> list[str]:
    """Unknown keys found by walking the input along the model's field types. Used when the
    document does not validate (so there is no model_dump to diff against); a key counts as
    unknown when no field of the model has it as its alias (or name, when it has no alias)."""
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return unknown_keys_by_type(args[0], data, path)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        results = [unknown_keys_by_type(a, data, path) for a in options]
        return min(results, key=len) if results else []  # the most lenient reading wins
    if origin in (list, typing.List) and isinstance(data, list) and args:
        return [k for i, item in enumerate(data) for k in unknown_keys_by_type(args[0], item, f"{path}/{i}")]
    if origin in (dict, typing.Dict) and isinstance(data, dict) and len(args) == 2:
        return [k for key, v in data.items() for k in unknown_keys_by_type(args[1], v, f"{path}/{key}")]
    if isinstance(ann, type) and issubclass(ann, pydantic.RootModel):
        return unknown_keys_by_type(ann.model_fields["root"].annotation, data, path)
    if isinstance(ann, type) and issubclass(ann, pydantic.BaseModel) and isinstance(data, dict):
        fields = {(fi.alias or name): fi for name, fi in ann.model_fields.items()}
        found: list[str] = []
        for key, value in data.items():
            if key not in fields:
                found.append(f"{path}/{key}")
            else:
                found.extend(unknown_keys_by_type(fields[key].annotation, value, f"{path}/{key}"))
        return found
    return []


def loc(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "(document)"


def check_document(where: str, doc: Any) -> tuple[int, bool]:
    """Returns (errors, handled)."""
    if not isinstance(doc, dict):
        print(f"{where}: ERROR: not a mapping (got {type(doc).__name__})", file=sys.stderr)
        return 1, True
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    name = (doc.get("metadata") or {}).get("name", "?") if isinstance(doc.get("metadata"), dict) else "?"
    label = f"{where} {kind}/{name}"
    models = models_for(api_version) if isinstance(api_version, str) else None
    if models is None or kind not in models:
        if isinstance(api_version, str) and api_version.startswith(GROUP + "/"):
            print(f"{label}: ERROR: no model for apiVersion {api_version} kind {kind}", file=sys.stderr)
            return 1, True
        print(f"{label}: skipped: apiVersion {api_version} kind {kind} is not a prometheus-operator "
              "resource (not checked here)", file=sys.stderr)
        return 0, False
    try:
        obj = models[kind].model_validate(doc)
    except pydantic.ValidationError as err:
        for e in err.errors():
            value = repr(e.get("input"))
            value = value if len(value) <= 80 else value[:77] + "..."
            print(f"{label}: ERROR: {loc(e['loc'])}: {e['msg']} (got {value})", file=sys.stderr)
        unknown = unknown_keys_by_type(models[kind], doc)
        if unknown:
            print(f"{label}: ERROR: unknown fields: {', '.join(unknown)}", file=sys.stderr)
        return err.error_count() + len(unknown), True
    dumped = obj.model_dump(exclude_unset=True, by_alias=True, mode="json")
    unknown = unknown_keys(doc, dumped)
    if unknown:
        print(f"{label}: ERROR: unknown fields: {', '.join(unknown)}", file=sys.stderr)
        return len(unknown), True
    print(f"{label}: ok")
    return 0, True


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2 if not argv else 0
    errors = handled = 0
    for name in argv:
        try:
            docs = [d for d in yaml.safe_load_all(Path(name).read_text()) if d is not None]
        except (OSError, yaml.YAMLError) as err:
            print(f"{name}: ERROR: {err}", file=sys.stderr)
            errors += 1
            continue
        if not docs:
            print(f"{name}: ERROR: no YAML documents", file=sys.stderr)
            errors += 1
        for i, doc in enumerate(docs):
            n, h = check_document(f"{name}[{i}]", doc)
            errors += n
            handled += h
    if handled == 0 and errors == 0:
        print("promop-check: ERROR: no prometheus-operator resources found in the input", file=sys.stderr)
        return 1
    if errors:
        print(f"promop-check: {errors} error(s)", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
