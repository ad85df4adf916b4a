#!/usr/bin/env python3
"""Generates dip/generated/{catalogue_data,schema_data}.cc from the official DIP OpenAPI spec.

Only facts are emitted (identifiers, enumerations, code titles, the field rules of every message
schema, the spec's patterns compiled to DFA tables); none of the spec's prose is copied. Run it
from the repository root after the spec changes:

    python3 tools/gen_catalogue.py --spec ../shared/dip-api

Needs python3-yaml (Debian package). The output is checked in and deterministic, so a build
never needs the spec.
"""
import argparse
import pathlib
import re
import sys

import yaml

import regex_dfa


def load(spec_dir, name):
    with open(spec_dir / name, encoding="utf-8") as f:
        return yaml.safe_load(f)


def c_str(s):
    if s is None:
        return "nullptr"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def interfaces(spec_dir):
    types = load(spec_dir, "DataTypes-unresolved.yaml")["components"]["schemas"]
    return list(types["DT-000-InterfaceID"]["enum"])


def events(spec_dir):
    """One row per (interface, event code) from each payload variant's S0 enums."""
    schemas = load(spec_dir, "Interfaces-EventCodes-unresolved.yaml")["components"]["schemas"]
    rows = []
    for name, schema in schemas.items():
        common = schema.get("properties", {}).get("CommonBlock", {})
        s0 = common.get("properties", {}).get("S0", {}).get("properties", {})
        if not s0:
            continue
        required = sorted(common.get("required", []))
        if "CustomBlock" in schema.get("required", []):
            required.append("CustomBlock")
        for iface in s0.get("interfaceID", {}).get("enum", []):
            for event in s0.get("eventCode", {}).get("enum", []):
                for version in s0.get("schemaVersion", {}).get("enum", []):
                    rows.append((iface, event, str(version), name, required))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


def validate_paths(spec_dir, evs):
    """(interface, event code, variant) per POST /validate/{IF}/{EventCode} path, in the spec's
    order. The variant is the schema the path's request body names for the message's payload:
    the event's own schema, which resolves an interface's oneOf where the spec lists an event in
    more than one variant (IF-020 [RelatedAdd] and [RelatedRemove])."""
    paths = load(spec_dir, "SubmitEvents-unresolved.yaml")["paths"]
    known = {(iface, event): [] for iface, event, _, _, _ in evs}
    for iface, event, _, variant, _ in evs:
        known[(iface, event)].append(variant)
    rows = []
    for path, item in paths.items():
        if not path.startswith("/validate/"):
            continue
        _, _, iface, event = path.split("/")
        event = "[" + event + "]"
        body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        ref = body["items"]["properties"]["payload"]["$ref"]
        if not ref.startswith(REMOTE + INTERFACES_FILE + "#/components/schemas/"):
            sys.exit(f"gen_catalogue: {path}: payload $ref {ref} is not an interface schema")
        variant = ref.rpartition("/")[2]
        variants = known.get((iface, event))
        if variants is None:
            sys.exit(f"gen_catalogue: {path}: no event row for {iface} {event}")
        if variant.endswith("-Payload"):
            variant = None  # the interface's whole oneOf
        elif variant not in variants:
            sys.exit(f"gen_catalogue: {path}: schema {variant} does not list {event}")
        rows.append((iface, event, variant))
    return rows


CODE_LINE = re.compile(r"^\s*-\s*([A-Z]{2,3}\d{3,4})\s*#\s*(.*?)\s*$")


def response_codes(spec_dir):
    """MSG/RCP codes with their titles; the titles live in the YAML comments."""
    seen = {}
    text = (spec_dir / "ResponseCodes-unresolved.yaml").read_text(encoding="utf-8")
    in_enum = False
    for line in text.splitlines():
        if line.strip().startswith("DI-999-Response-Codes"):
            in_enum = True
            continue
        if not in_enum:
            continue
        m = CODE_LINE.match(line)
        if m and m.group(1)[:3] in ("MSG", "RCP") and m.group(1) not in seen:
            seen[m.group(1)] = m.group(2)
    return sorted(seen.items())




REMOTE = "https://raw.githubusercontent.com/elexon-data/dip-api-documentation/main/"
INTERFACES_FILE = "Interfaces-EventCodes-unresolved.yaml"

# JSON types as bits of SchemaNode::types (mirrors dip/catalogue_data.h).
TYPE_BITS = {"null": 1, "boolean": 2, "object": 4, "array": 8, "number": 16, "integer": 32,
             "string": 64}
ALL_TYPES = 127
# Keywords the schema compiler understands. Annotations are ignored: description, example,
# title, format (the spec's two formats, byte and email, are annotations in JSON Schema too).
KEYWORDS = {"type", "nullable", "enum", "pattern", "minLength", "maxLength", "minItems",
            "maxItems", "minimum", "maximum", "multipleOf", "properties", "required",
            "additionalProperties", "items", "description", "example", "title", "format"}
NO_LIMIT = 0xFFFFFFFF


class SchemaCompiler:
    """Flattens the spec's schemas into a table of nodes, resolving $refs to the local files.

    A $ref'd schema becomes one node shared by every user; an inline schema gets its own node.
    Node 0 accepts anything (a property listed as required without a schema of its own).
    """

    def __init__(self, spec_dir):
        self.spec_dir = spec_dir
        self.docs = {}
        self.by_ref = {}
        self.nodes = [self._blank()]
        self.properties = []
        self.enum_values = []
        self.patterns = {}

    @staticmethod
    def _blank():
        return {"types": ALL_TYPES, "closed": False, "pattern": -1, "min_length": 0,
                "max_length": NO_LIMIT, "min_items": 0, "max_items": NO_LIMIT,
                "first_property": 0, "property_count": 0, "first_enum": 0, "enum_count": 0,
                "items": 0, "bounds": 0, "minimum": 0.0, "maximum": 0.0, "multiple_of": 0.0}

    def doc(self, name):
        if name not in self.docs:
            self.docs[name] = load(self.spec_dir, name)
        return self.docs[name]

    @staticmethod
    def resolve(ref, base):
        """(file, pointer) of a $ref; cross-file refs map to the file of the same name."""
        if ref.startswith(REMOTE):
            ref = ref[len(REMOTE):]
        file, _, pointer = ref.partition("#")
        return (file or base), pointer

    def lookup(self, file, pointer):
        node = self.doc(file)
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def ref_node(self, file, pointer):
        key = (file, pointer)
        if key not in self.by_ref:
            self.by_ref[key] = None  # a cycle shows up as None below
            self.by_ref[key] = self.compile(self.lookup(file, pointer), file, f"{file}#{pointer}")
        if self.by_ref[key] is None:
            sys.exit(f"gen_catalogue: recursive schema at {file}#{pointer} is not supported")
        return self.by_ref[key]

    def compile(self, schema, file, where):
        if "$ref" in schema:  # siblings of $ref are ignored (OpenAPI 3.0, JSON Schema draft 4)
            return self.ref_node(*self.resolve(schema["$ref"], file))
        unknown = set(schema) - KEYWORDS
        if unknown:
            sys.exit(f"gen_catalogue: {where}: unsupported keywords {sorted(unknown)}")
        index = len(self.nodes)
        self.nodes.append(None)
        n = self._blank()
        if "type" in schema:
            n["types"] = TYPE_BITS[schema["type"]]
            if schema.get("nullable") is True:
                n["types"] |= TYPE_BITS["null"]
        if "enum" in schema:
            values = schema["enum"]
            for v in values:
                if v is not None and not isinstance(v, str):
                    sys.exit(f"gen_catalogue: {where}: only string and null enum values supported")
            n["first_enum"], n["enum_count"] = len(self.enum_values), len(values)
            self.enum_values.extend(values)
        if "pattern" in schema:
            source = schema["pattern"]
            if source not in self.patterns:
                try:
                    self.patterns[source] = (len(self.patterns), regex_dfa.compile_pattern(source))
                except regex_dfa.Unsupported as e:
                    sys.exit(f"gen_catalogue: {where}: pattern {source!r}: {e}")
            n["pattern"] = self.patterns[source][0]
        for key, field in (("minLength", "min_length"), ("maxLength", "max_length"),
                           ("minItems", "min_items"), ("maxItems", "max_items")):
            if key in schema:
                n[field] = int(schema[key])
        for bit, key, field in ((1, "minimum", "minimum"), (2, "maximum", "maximum"),
                                (4, "multipleOf", "multiple_of")):
            if key in schema:
                n["bounds"] |= bit
                n[field] = float(schema[key])
        ap = schema.get("additionalProperties", True)
        if not isinstance(ap, bool):
            sys.exit(f"gen_catalogue: {where}: additionalProperties must be a boolean")
        n["closed"] = not ap
        props = schema.get("properties", {})
        required = list(schema.get("required", []))
        rows = []
        lower = set()
        for name, sub in props.items():
            if name.lower() in lower:
                sys.exit(f"gen_catalogue: {where}: properties differ only by case: {name}")
            lower.add(name.lower())
            rows.append([name, self.compile(sub, file, f"{where}.{name}"), name in required])
        for name in required:
            if name not in props:  # required but undeclared: present with any value
                rows.append([name, 0, True])
        if len(rows) > 256:  # dip/schema_check.cc tracks seen properties in 256 bits
            sys.exit(f"gen_catalogue: {where}: more than 256 properties")
        n["first_property"], n["property_count"] = len(self.properties), len(rows)
        self.properties.extend(rows)
        if "items" in schema:
            n["items"] = self.compile(schema["items"], file, f"{where}[]")
        self.nodes[index] = n
        return index


def emit_schema(compiler):
    out = []
    out.append("// GENERATED by tools/gen_catalogue.py from the DIP API specification v2.1.0.")
    out.append("// Do not edit by hand; regenerate instead (see docs/conformance.md).")
    out.append("// Field rules of every message schema: nodes, properties, enum values, and the")
    out.append("// spec's patterns compiled to byte DFAs (state 0 is the dead state).")
    out.append('#include "dip/catalogue_data.h"')
    out.append("")
    out.append("namespace diphub::dip::generated {")
    out.append("namespace {")
    out.append("")
    patterns = sorted(compiler.patterns.items(), key=lambda kv: kv[1][0])
    for source, (i, (byte_class, _, table, accepting, _)) in patterns:
        out.append(f"// {source}")
        out.append(f"const std::uint8_t kPattern{i}Class[256] = {{")
        for k in range(0, 256, 32):
            out.append("    " + ", ".join(str(c) for c in byte_class[k:k + 32]) + ",")
        out.append("};")
        out.append(f"const std::uint16_t kPattern{i}Next[] = {{")
        for row in table:
            out.append("    " + ", ".join(str(t) for t in row) + ",")
        out.append("};")
        out.append(f"const std::uint8_t kPattern{i}Accept[] = {{"
                   + ", ".join(str(a) for a in accepting) + "};")
        out.append("")
    out.append("}  // namespace")
    out.append("")
    out.append("const PatternRow kPatterns[] = {")
    for source, (i, (_, class_count, table, _, start)) in patterns:
        out.append(f"    {{{c_str(source)}, kPattern{i}Class, kPattern{i}Next, kPattern{i}Accept, "
                   f"{class_count}u, {len(table)}u, {start}u}},")
    out.append("};")
    out.append(f"const std::size_t kPatternCount = {len(patterns)};")
    out.append("")
    out.append("const SchemaNode kSchemaNodes[] = {")
    for i, n in enumerate(compiler.nodes):
        out.append(
            f"    {{{n['types']}, {'true' if n['closed'] else 'false'}, {n['bounds']}, "
            f"{n['pattern']}, {n['min_length']}u, {n['max_length']}u, {n['min_items']}u, "
            f"{n['max_items']}u, {n['first_property']}u, {n['property_count']}u, "
            f"{n['first_enum']}u, {n['enum_count']}u, {n['items']}u, {float(n['minimum'])!r}, "
            f"{float(n['maximum'])!r}, {float(n['multiple_of'])!r}}},  // {i}")
    out.append("};")
    out.append(f"const std::size_t kSchemaNodeCount = {len(compiler.nodes)};")
    out.append("")
    out.append("const PropertyRow kProperties[] = {")
    for name, node, required in compiler.properties:
        out.append(f"    {{{c_str(name)}, {node}u, {'true' if required else 'false'}}},")
    out.append("};")
    out.append(f"const std::size_t kPropertyCount = {len(compiler.properties)};")
    out.append("")
    out.append("const std::string_view kEnumValues[] = {")
    for v in compiler.enum_values:
        out.append("    {}," if v is None else f"    {c_str(v)},")
    out.append("};")
    out.append(f"const std::size_t kEnumValueCount = {len(compiler.enum_values)};")
    out.append("")
    out.append("// Per enum node, the kEnumValues indices of its values in byte order, nulls first,")
    out.append("// for a binary search.")
    out.append("const std::uint32_t kEnumSorted[] = {")
    blocks = sorted((n["first_enum"], n["enum_count"]) for n in compiler.nodes if n["enum_count"])
    assert sum(count for _, count in blocks) == len(compiler.enum_values)
    for first, count in blocks:
        order = sorted(range(first, first + count),
                       key=lambda i: (compiler.enum_values[i] is not None,
                                      (compiler.enum_values[i] or "").encode("utf-8")))
        out.append("    " + ", ".join(f"{i}u" for i in order) + ",")
    out.append("};")
    out.append("")
    out.append("}  // namespace diphub::dip::generated")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default="../shared/dip-api", type=pathlib.Path)
    ap.add_argument("--out", default="dip/generated/catalogue_data.cc", type=pathlib.Path)
    ap.add_argument("--schema-out", default="dip/generated/schema_data.cc", type=pathlib.Path)
    args = ap.parse_args()
    if not (args.spec / "SubmitEvents-unresolved.yaml").exists():
        sys.exit(f"gen_catalogue: no DIP spec at {args.spec} (expected SubmitEvents-unresolved.yaml)")

    ifaces = interfaces(args.spec)
    evs = events(args.spec)
    codes = response_codes(args.spec)
    validates = validate_paths(args.spec, evs)
    block_bits = {"S0": 1, "S1": 2, "M0": 4, "M1": 8, "A0": 16, "R0": 32, "D0": 64, "CustomBlock": 128}

    compiler = SchemaCompiler(args.spec)
    roots = {}
    for _, _, _, variant, _ in evs:
        if variant not in roots:
            roots[variant] = compiler.ref_node(INTERFACES_FILE, f"/components/schemas/{variant}")

    out = []
    out.append("// GENERATED by tools/gen_catalogue.py from the DIP API specification v2.1.0.")
    out.append("// Do not edit by hand; regenerate instead (see docs/conformance.md).")
    out.append('#include "dip/catalogue_data.h"')
    out.append("")
    out.append("namespace diphub::dip::generated {")
    out.append("")
    out.append("const InterfaceRow kInterfaces[] = {")
    for i in ifaces:
        out.append(f"    {{{c_str(i)}}},")
    out.append("};")
    out.append(f"const std::size_t kInterfaceCount = {len(ifaces)};")
    out.append("")
    out.append("const EventRow kEvents[] = {")
    for iface, event, version, variant, required in evs:
        mask = 0
        for b in required:
            mask |= block_bits.get(b, 0)
        out.append(f"    {{{c_str(iface)}, {c_str(event)}, {c_str(version)}, {c_str(variant)}, {mask}u, "
                   f"{roots[variant]}u}},")
    out.append("};")
    out.append(f"const std::size_t kEventCount = {len(evs)};")
    out.append("")
    out.append("const ValidatePathRow kValidatePaths[] = {")
    for iface, event, variant in validates:
        out.append(f"    {{{c_str(iface)}, {c_str(event)}, {c_str(variant)}}},")
    out.append("};")
    out.append(f"const std::size_t kValidatePathCount = {len(validates)};")
    out.append("")
    out.append("const CodeRow kCodes[] = {")
    for code, title in codes:
        out.append(f"    {{{c_str(code)}, {c_str(title)}}},")
    out.append("};")
    out.append(f"const std::size_t kCodeCount = {len(codes)};")
    out.append("")
    out.append("}  // namespace diphub::dip::generated")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    args.schema_out.write_text("\n".join(emit_schema(compiler)) + "\n", encoding="utf-8")
    print(f"gen_catalogue: {len(ifaces)} interfaces, {len(evs)} event rows, "
          f"{len(validates)} /validate paths, {len(codes)} codes -> {args.out}")
    print(f"gen_catalogue: {len(compiler.nodes)} schema nodes, {len(compiler.properties)} properties, "
          f"{len(compiler.enum_values)} enum values, {len(compiler.patterns)} patterns -> {args.schema_out}")


if __name__ == "__main__":
    main()
