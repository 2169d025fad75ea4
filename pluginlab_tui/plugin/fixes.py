"""`lint --fix`: the mechanical fixes, made in place in the file's text.

Fixed: missing, empty, spaced or duplicated operationIds (derived from method and path); the
openapi version written as a full string ("3.1.0", not 3.1); servers and api.url set to the
configured public URL (with no config: only where they hold a placeholder or are relative);
placeholders in logo_url and verification tokens replaced from the config. Descriptions over the
profile's limit are flagged for a person, and cut only with truncate=True.

Each fix edits only the value it changes (comments and layout stay); when an edit cannot be made
that way the file is written again whole. The result is checked to mean what the fixes say.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit

import yaml

from pluginlab_tui.config import Config
from pluginlab_tui.contract.document import operations
from pluginlab_tui.contract.document import pointer as make_pointer
from pluginlab_tui.plugin.documents import Document, load_document
from pluginlab_tui.plugin.draft import operation_id_for, unique_id
from pluginlab_tui.plugin.options import DESCRIPTION_LIMITS
from pluginlab_tui.plugin.placeholders import placeholder_in
from pluginlab_tui.wire import LOGO_ROUTE

_VERSION = re.compile(r"^3\.(0|1)(?:\.(\d+))?$")
DEFAULT_SPEC_ROUTE = "/openapi.yaml"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Fix:
    """One fix: applied, or flagged for a person."""

    file: str
    pointer: str
    message: str
    applied: bool = True

    def __str__(self) -> str:
        mark = "fixed" if self.applied else "needs a person"
        return f"{self.file}: {mark}: {self.message}"


@dataclass(frozen=True)
class _Edit:
    path: Path_
    kind: Literal["set", "insert", "delete"]
    value: Any
    key: str = ""
    before: str | None = None  # insert: before this sibling key (None: first)


@dataclass
class FileFix:
    """A file's fixes and its text before and after."""

    name: str
    old_text: str
    new_text: str
    fixes: list[Fix] = field(default_factory=list)
    rewritten: bool = False

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text


@dataclass(frozen=True)
class FixOptions:
    public_url: str = "http://localhost:8787"
    #: The public URL was configured (a config file or the environment): servers and api.url
    #: are set to it. Otherwise only placeholders and relative URLs are replaced.
    explicit_url: bool = False
    profile: str = "plugin"
    endpoint_limit: int = 200
    parameter_limit: int = 200
    truncate: bool = False
    verification_token: str | None = None
    has_logo: bool = False


# -- planning ---------------------------------------------------------------------------------


def _full_version(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = repr(float(value)) if isinstance(value, int) else repr(value)
    elif isinstance(value, str):
        text = value.strip().strip("\"'").strip()
    else:
        return None
    match = _VERSION.match(text)
    if match is None:
        return None
    return f"3.{match.group(1)}.{match.group(2) or 0}"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit * 0.6:
        head = head[:space]
    return head.rstrip(" ,;:.-") + "…"


def _base_path(spec: dict[str, Any]) -> str:
    servers = spec.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url") or "")
        if placeholder_in(url):
            url = _after_placeholder(url)
        path = urlsplit(url).path if "://" in url else url
        if "{" not in path and path.startswith("/"):
            return path.rstrip("/")
    return ""


def _after_placeholder(url: str) -> str:
    """What follows a placeholder host: '$HOST/openapi.yaml' -> '/openapi.yaml'."""
    found = placeholder_in(url)
    if found is None:
        return url
    rest = url[url.find(found) + len(found) :]
    if "://" in rest:
        rest = urlsplit(rest).path
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else ""


def plan_spec(spec: Any, name: str, options: FixOptions) -> tuple[list[_Edit], list[Fix]]:
    """The edits that fix a spec, and what each does (or what needs a person)."""
    edits: list[_Edit] = []
    fixes: list[Fix] = []
    if not isinstance(spec, dict):
        return edits, fixes
    if "openapi" in spec:
        value = spec["openapi"]
        full = _full_version(value)
        if full is not None and full != value:
            edits.append(_Edit(("openapi",), "set", full))
            fixes.append(Fix(name, "/openapi", f"openapi {value!r} written as {full!r}"))
    elif "swagger" not in spec and isinstance(spec.get("paths"), dict):
        edits.append(_Edit((), "insert", "3.0.1", key="openapi"))
        fixes.append(Fix(name, "/openapi", 'openapi "3.0.1" added'))
    _plan_operation_ids(spec, name, edits, fixes)
    _plan_misplaced_servers(spec, name, options, edits, fixes)
    _plan_servers(spec, name, options, edits, fixes)
    _plan_styles(spec, name, edits, fixes)
    _plan_descriptions(spec, name, options, edits, fixes)
    return edits, fixes


def _plan_operation_ids(
    spec: dict[str, Any], name: str, edits: list[_Edit], fixes: list[Fix]
) -> None:
    ops = operations(spec)
    taken = {
        op.data["operationId"]
        for op in ops
        if isinstance(op.data.get("operationId"), str) and op.data["operationId"].strip()
    }
    seen: set[str] = set()
    paths = spec.get("paths")
    for op in ops:
        raw_item = paths.get(op.path) if isinstance(paths, dict) else None
        if isinstance(raw_item, dict) and "$ref" in raw_item:
            continue  # the operation lives elsewhere; left to a person
        where: Path_ = ("paths", op.path, op.method)
        label = f"{op.method.upper()} {op.path}"
        current = op.data.get("operationId")
        if isinstance(current, str) and current.strip():
            fixed, why = current, ""
            if re.search(r"\s", current):
                words = current.split()
                fixed = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
                why = "has whitespace"
            if fixed in seen:
                fixed = unique_id(operation_id_for(op.method, op.path), taken | seen)
                why = "is used by another operation"
            seen.add(fixed)
            if fixed != current:
                edits.append(_Edit((*where, "operationId"), "set", fixed))
                fixes.append(
                    Fix(
                        name,
                        make_pointer(*where, "operationId"),
                        f"{label}: operationId {current!r} {why}; now {fixed!r}",
                    )
                )
            continue
        fixed = unique_id(operation_id_for(op.method, op.path), taken | seen)
        taken.add(fixed)
        seen.add(fixed)
        if "operationId" in op.data:
            edits.append(_Edit((*where, "operationId"), "set", fixed))
        else:
            edits.append(_Edit(where, "insert", fixed, key="operationId"))
        fixes.append(Fix(name, make_pointer(*where), f"{label}: operationId {fixed!r} added"))


_STYLES = {
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "path": ("simple", "label", "matrix"),
    "header": ("simple",),
    "cookie": ("form",),
}
#: A style another location uses, and the style meaning the same here.
_STYLE_FOR = {("query", "simple"): "form", ("cookie", "simple"): "form", ("path", "form"): "simple"}


def _plan_styles(spec: dict[str, Any], name: str, edits: list[_Edit], fixes: list[Fix]) -> None:
    """A parameter style its location does not allow, replaced by the one meaning the same."""
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict) or "$ref" in item:
            continue
        holders: list[tuple[Path_, Any]] = [(("paths", path), item)]
        holders += [(("paths", path, m), op) for m, op in item.items() if isinstance(op, dict)]
        for where, holder in holders:
            params = holder.get("parameters")
            for index, param in enumerate(params if isinstance(params, list) else []):
                if not isinstance(param, dict) or "$ref" in param:
                    continue
                place, style = param.get("in"), param.get("style")
                allowed = _STYLES.get(str(place))
                if allowed is None or style is None or style in allowed:
                    continue
                fixed = _STYLE_FOR.get((str(place), str(style)))
                if fixed is None:
                    continue
                edits.append(_Edit((*where, "parameters", index, "style"), "set", fixed))
                fixes.append(
                    Fix(
                        name,
                        make_pointer(*where, "parameters", index, "style"),
                        f"{param.get('name')!r}: style {style!r} is not allowed {_IN[str(place)]}; "
                        f"now {fixed!r} (the same serialization there)",
                    )
                )


_IN = {
    "query": "in the query",
    "path": "in a path",
    "header": "in a header",
    "cookie": "in a cookie",
}


def _plan_misplaced_servers(
    spec: dict[str, Any], name: str, options: FixOptions, edits: list[_Edit], fixes: list[Fix]
) -> None:
    """servers written inside info (a common slip): moved to the top level."""
    info = spec.get("info")
    if not isinstance(info, dict) or "servers" not in info:
        return
    edits.append(_Edit(("info", "servers"), "delete", None))
    fixes.append(Fix(name, "/info/servers", "servers inside info removed (they belong at the top)"))
    if "servers" not in spec:
        wanted = [{"url": options.public_url.rstrip("/")}]
        before = "paths" if "paths" in spec else None
        edits.append(_Edit((), "insert", wanted, key="servers", before=before))
        fixes.append(Fix(name, "/servers", f"servers set to {wanted[0]['url']}"))


def _plan_servers(
    spec: dict[str, Any], name: str, options: FixOptions, edits: list[_Edit], fixes: list[Fix]
) -> None:
    public = options.public_url.rstrip("/")
    servers = spec.get("servers")
    wanted = [{"url": public + _base_path(spec)}]
    if any(e.key == "servers" for e in edits):
        return
    if not isinstance(servers, list) or not servers:
        if not options.explicit_url:
            return
        if "servers" in spec:
            edits.append(_Edit(("servers",), "set", wanted))
        else:
            before = "paths" if "paths" in spec else None
            edits.append(_Edit((), "insert", wanted, key="servers", before=before))
        fixes.append(Fix(name, "/servers", f"servers set to {wanted[0]['url']}"))
        return
    first = servers[0] if isinstance(servers[0], dict) else {}
    url = str(first.get("url") or "")
    broken = placeholder_in(url) is not None or "://" not in url
    if options.explicit_url or broken:
        if servers != wanted:
            edits.append(_Edit(("servers",), "set", wanted))
            why = "" if options.explicit_url else f" (was {url!r})"
            fixes.append(Fix(name, "/servers", f"servers set to {wanted[0]['url']}{why}"))


def _plan_descriptions(
    spec: dict[str, Any], name: str, options: FixOptions, edits: list[_Edit], fixes: list[Fix]
) -> None:
    def check(where: Path_, text: Any, limit: int, what: str) -> None:
        if not isinstance(text, str) or len(text) <= limit:
            return
        ptr = make_pointer(*where)
        if options.truncate:
            cut = _cut(text, limit)
            edits.append(_Edit(where, "set", cut))
            fixes.append(Fix(name, ptr, f"{what} cut from {len(text)} to {len(cut)} characters"))
        else:
            fixes.append(
                Fix(
                    name,
                    ptr,
                    f"{what} is {len(text)} characters (the {options.profile} limit is "
                    f"{limit}): shorten it, or use --truncate",
                    applied=False,
                )
            )

    paths = spec.get("paths")
    for op in operations(spec):
        raw_item = paths.get(op.path) if isinstance(paths, dict) else None
        if isinstance(raw_item, dict) and "$ref" in raw_item:
            continue
        base: Path_ = ("paths", op.path, op.method)
        label = op.label
        for key in ("summary", "description"):
            check((*base, key), op.data.get(key), options.endpoint_limit, f"{label}: {key}")
        params = op.data.get("parameters")
        for index, param in enumerate(params if isinstance(params, list) else []):
            if isinstance(param, dict) and "$ref" not in param:
                check(
                    (*base, "parameters", index, "description"),
                    param.get("description"),
                    options.parameter_limit,
                    f"{label}: parameter {param.get('name')!r} description",
                )
    seen_items: set[str] = set()
    for op in operations(spec):
        if op.path in seen_items:
            continue
        seen_items.add(op.path)
        item = paths.get(op.path) if isinstance(paths, dict) else None
        params = item.get("parameters") if isinstance(item, dict) else None
        for index, param in enumerate(params if isinstance(params, list) else []):
            if isinstance(param, dict) and "$ref" not in param:
                check(
                    ("paths", op.path, "parameters", index, "description"),
                    param.get("description"),
                    options.parameter_limit,
                    f"{op.path}: parameter {param.get('name')!r} description",
                )


def spec_route(manifest: dict[str, Any]) -> str:
    api = manifest.get("api")
    url = api.get("url") if isinstance(api, dict) else None
    if not isinstance(url, str) or not url.strip():
        return DEFAULT_SPEC_ROUTE
    if placeholder_in(url):
        url = _after_placeholder(url)
    path = urlsplit(url).path if "://" in url else url
    return path if path.startswith("/") and len(path) > 1 else DEFAULT_SPEC_ROUTE


def plan_manifest(manifest: Any, name: str, options: FixOptions) -> tuple[list[_Edit], list[Fix]]:
    edits: list[_Edit] = []
    fixes: list[Fix] = []
    if not isinstance(manifest, dict):
        return edits, fixes
    public = options.public_url.rstrip("/")
    api = manifest.get("api")
    if isinstance(api, dict):
        url = api.get("url")
        text = url if isinstance(url, str) else ""
        broken = not text or placeholder_in(text) is not None or "://" not in text
        wanted = public + spec_route(manifest)
        if (options.explicit_url or broken) and url != wanted:
            edits.append(_Edit(("api", "url"), "set" if "url" in api else "insert", wanted, "url"))
            fixes.append(Fix(name, "/api/url", f"api.url set to {wanted} (was {url!r})"))
    logo = manifest.get("logo_url")
    if isinstance(logo, str) and (placeholder_in(logo) is not None or "://" not in logo):
        wanted = public + LOGO_ROUTE
        edits.append(_Edit(("logo_url",), "set", wanted))
        note = "" if options.has_logo else " (set plugin.logo in pluginlab.toml to serve it)"
        fixes.append(Fix(name, "/logo_url", f"logo_url set to {wanted}{note}"))
    auth = manifest.get("auth")
    tokens = auth.get("verification_tokens") if isinstance(auth, dict) else None
    if isinstance(tokens, dict) and options.verification_token:
        current = tokens.get("openai")
        if isinstance(current, str) and placeholder_in(current) is not None:
            edits.append(
                _Edit(("auth", "verification_tokens", "openai"), "set", options.verification_token)
            )
            fixes.append(
                Fix(
                    name,
                    "/auth/verification_tokens/openai",
                    "verification token taken from auth.verification_token",
                )
            )
    for key in ("contact_email", "legal_info_url"):
        value = manifest.get(key)
        if isinstance(value, str) and placeholder_in(value) is not None:
            fixes.append(
                Fix(name, f"/{key}", f"{key} holds a placeholder: {value!r}", applied=False)
            )
    return edits, fixes


# -- applying ---------------------------------------------------------------------------------


def _apply_to_data(data: Any, edits: list[_Edit]) -> Any:
    data = copy.deepcopy(data)
    for edit in edits:
        if edit.kind == "delete":
            del _walk(data, edit.path[:-1])[edit.path[-1]]
            continue
        if edit.kind == "set":
            if not edit.path:
                data = copy.deepcopy(edit.value)
                continue
            target = _walk(data, edit.path[:-1])
            target[edit.path[-1]] = copy.deepcopy(edit.value)
        else:
            target = _walk(data, edit.path)
            items = list(target.items())
            index = 0
            if edit.before is not None:
                index = next((i for i, (k, _) in enumerate(items) if k == edit.before), 0)
            items.insert(index, (edit.key, copy.deepcopy(edit.value)))
            target.clear()
            target.update(items)
    return data


def _walk(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _node_at(root: yaml.Node, path: Path_) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(the key node, the value node) at `path` in a composed document."""
    node: yaml.Node | None = root
    key: yaml.Node | None = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    found = (k, v)
            if found is None:
                return None, None
            key, node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return None, None
            key, node = None, node.value[part]
        else:
            return None, None
    return key, node


def _end_of(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark may run past it)."""
    while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return int(node.end_mark.index)


def _flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _text_edits(text: str, edits: list[_Edit], is_json: bool) -> str | None:
    """The text with each edit made in place, or None when one cannot be made so."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    spans: list[tuple[int, int, str]] = []
    for edit in edits:
        if edit.kind == "delete":
            key, node = _node_at(root, edit.path)
            if key is None or node is None:
                return None
            start = text.rfind("\n", 0, key.start_mark.index) + 1
            if text[start : key.start_mark.index].strip():
                return None  # not alone on its line (flow style, JSON): written again whole
            end = _end_of(node)
            newline = text.find("\n", end)
            end = len(text) if newline < 0 else newline + 1
            spans.append((start, end, ""))
            continue
        if edit.kind == "set":
            key, node = _node_at(root, edit.path)
            if node is None:
                return None
            start, end = node.start_mark.index, node.end_mark.index
            replacement = _flow(edit.value)
            if isinstance(node, yaml.CollectionNode) and not node.flow_style:
                end = _end_of(node)
                # a block collection: "key:\n  - a\n" becomes "key: [...]\n"
                if key is None or text.find(":", key.end_mark.index, start) < 0:
                    return None
                start = key.end_mark.index
                replacement = ": " + replacement
            original = text[start:end]
            if original.endswith("\n") and not replacement.endswith("\n"):
                replacement += "\n"
            spans.append((start, end, replacement))
        else:
            _, mapping = _node_at(root, edit.path)
            if not isinstance(mapping, yaml.MappingNode):
                return None
            pairs = mapping.value
            anchor = pairs[0][0] if pairs else None
            if edit.before is not None:
                anchor = next((k for k, _ in pairs if k.value == edit.before), anchor)
            value = _flow(edit.value)
            if anchor is None:
                if not mapping.flow_style:
                    return None
                at = mapping.start_mark.index + 1
                spans.append((at, at, f"{_flow(edit.key)}: {value}"))
                continue
            at = anchor.start_mark.index
            column = anchor.start_mark.column
            key_text = _flow(edit.key) if (is_json or mapping.flow_style) else edit.key
            if mapping.flow_style:
                # a JSON object or a YAML {...}: keep one member a line when it had that
                multiline = "\n" in text[mapping.start_mark.index : at]
                sep = (",\n" + " " * column) if multiline else ", "
                spans.append((at, at, f"{key_text}: {value}{sep}"))
            else:
                block = yaml.safe_dump(
                    {edit.key: edit.value}, sort_keys=False, allow_unicode=True, width=1000
                ).splitlines()
                indented = "\n".join([block[0], *(" " * column + line for line in block[1:])])
                spans.append((at, at, indented + "\n" + " " * column))
    spans.sort(key=lambda s: s[0], reverse=True)
    last = len(text) + 1
    for start, end, replacement in spans:
        if end > last:
            return None  # overlapping edits
        text = text[:start] + replacement + text[end:]
        last = start
    return text


def _dump(data: Any, is_json: bool, old_text: str) -> str:
    if is_json:
        indent = 2
        match = re.search(r"\n([ \t]+)\S", old_text)
        if match:
            indent = len(match.group(1).replace("\t", "    "))
        return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def apply_edits(doc: Document, edits: list[_Edit]) -> tuple[str, bool]:
    """(new text, rewritten whole) for a document and its edits."""
    if not edits:
        return doc.text, False
    expected = _apply_to_data(doc.data, edits)
    is_json = doc.format == "json"
    text = _text_edits(doc.text, edits, is_json)
    if text is not None:
        check = load_document(text, doc.name)
        if check.error is None and check.data == expected:
            return text, False
    return _dump(expected, is_json, doc.text), True


def fix_document(doc: Document, kind: str, options: FixOptions) -> FileFix:
    """The fixes for one document ('manifest' or 'spec'); unparsable documents get none."""
    if doc.error is not None or not isinstance(doc.data, dict):
        return FileFix(doc.name, doc.text, doc.text)
    if kind == "manifest":
        edits, fixes = plan_manifest(doc.data, doc.name, options)
    else:
        edits, fixes = plan_spec(doc.data, doc.name, options)
    new_text, rewritten = apply_edits(doc, edits)
    return FileFix(doc.name, doc.text, new_text, fixes, rewritten)


def fix_spec_data(spec: dict[str, Any], options: FixOptions | None = None) -> list[str]:
    """Fix a spec held in memory (init's imported spec): returns what was done."""
    options = options or FixOptions()
    edits, fixes = plan_spec(spec, "spec", options)
    fixed = _apply_to_data(spec, edits)
    spec.clear()
    spec.update(fixed)
    return [f.message for f in fixes if f.applied]


# -- the `lint --fix` run ---------------------------------------------------------------------


def options_from(
    config: Config, *, explicit_url: bool, profile: str | None, truncate: bool
) -> FixOptions:
    chosen = profile or config.plugin.profile
    defaults = DESCRIPTION_LIMITS.get(chosen, DESCRIPTION_LIMITS["plugin"])
    limits = config.plugin.limits
    return FixOptions(
        public_url=config.proxy.public_url,
        explicit_url=explicit_url,
        profile=chosen,
        endpoint_limit=limits.endpoint_description or defaults[0],
        parameter_limit=limits.parameter_description or defaults[1],
        truncate=truncate,
        verification_token=config.auth.verification_token,
        has_logo=config.plugin.logo is not None,
    )


def fix_paths(
    paths: Sequence[Path],
    config: Config,
    *,
    explicit_url: bool,
    profile: str | None = None,
    truncate: bool = False,
    out: TextIO,
) -> list[FileFix]:
    """Fix the files named (as `lint` finds them): show each diff, back up, write."""
    from pluginlab_tui.plugin.lint import plan
    from pluginlab_tui.plugin.scaffold import describe_change, write_with_backup

    options = options_from(config, explicit_url=explicit_url, profile=profile, truncate=truncate)
    results: list[FileFix] = []
    done: set[str] = set()
    for target in plan(paths, options.profile):
        for doc, kind in ((target.manifest, "manifest"), (target.spec, "spec")):
            if doc is None or doc.name in done:
                continue
            done.add(doc.name)
            result = fix_document(doc, kind, options)
            results.append(result)
            for fix in result.fixes:
                out.write(f"{fix}\n")
            if not result.changed:
                continue
            path = Path(doc.name)
            out.write(describe_change(path, result.old_text, result.new_text, spec=kind == "spec"))
            if result.rewritten:
                out.write(f"{path}: written again whole (an in-place edit was not possible)\n")
            written = write_with_backup(path, result.new_text)
            backup = f" (backup: {written.backup.name})" if written.backup else ""
            out.write(f"{path}: fixed{backup}\n")
    if not any(r.changed for r in results):
        out.write("nothing to fix mechanically\n")
    else:
        out.write(
            "each write is a new version: a proxy serving these files with hot reload picks "
            "the change up\n"
        )
    out.write("\n")
    return results


__all__ = [
    "FileFix",
    "Fix",
    "FixOptions",
    "apply_edits",
    "fix_document",
    "fix_paths",
    "fix_spec_data",
    "plan_manifest",
    "plan_spec",
]
