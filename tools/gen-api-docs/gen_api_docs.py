#!/usr/bin/python3
"""Generates docs/api.md, the gRPC API reference, from protos/triggerfish/v1/*.proto.

Regenerate after every change to a .proto file under protos/triggerfish/v1/:

    /usr/bin/python3 tools/gen-api-docs/gen_api_docs.py

(from the repository root; it writes docs/api.md). The ctest
docs.api_reference_current runs the same script with --check and fails when the
checked-in docs/api.md differs from what the protos produce.

How it works: protoc compiles the protos into a FileDescriptorSet with source
info (--include_source_info --include_imports); the descriptors give the
structure (services, methods, messages, fields, enums) and the SourceCodeInfo
locations give the comments. A location's path addresses an element of the
FileDescriptorProto by field numbers and indexes, e.g. [4, m, 2, f] is field f
of message m, [4, m, 3, n] nested message n of message m, [6, s, 2, r] method r
of service s, [5, e, 2, v] value v of enum e.

The output depends only on the protos (declaration order, no timestamps), so it
can be checked in and compared byte for byte.
"""

import argparse
import difflib
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

PACKAGE_DIR = "triggerfish/v1"
REGENERATE = "/usr/bin/python3 tools/gen-api-docs/gen_api_docs.py"

# Field numbers of the descriptor messages, as used in SourceCodeInfo paths.
FILE_MESSAGE = 4  # FileDescriptorProto.message_type
FILE_ENUM = 5  # FileDescriptorProto.enum_type
FILE_SERVICE = 6  # FileDescriptorProto.service
MESSAGE_FIELD = 2  # DescriptorProto.field
MESSAGE_NESTED = 3  # DescriptorProto.nested_type
MESSAGE_ENUM = 4  # DescriptorProto.enum_type
MESSAGE_ONEOF = 8  # DescriptorProto.oneof_decl
ENUM_VALUE = 2  # EnumDescriptorProto.value
SERVICE_METHOD = 2  # ServiceDescriptorProto.method

FDP = descriptor_pb2.FieldDescriptorProto
SCALAR_NAMES = {
    FDP.TYPE_DOUBLE: "double",
    FDP.TYPE_FLOAT: "float",
    FDP.TYPE_INT64: "int64",
    FDP.TYPE_UINT64: "uint64",
    FDP.TYPE_INT32: "int32",
    FDP.TYPE_FIXED64: "fixed64",
    FDP.TYPE_FIXED32: "fixed32",
    FDP.TYPE_BOOL: "bool",
    FDP.TYPE_STRING: "string",
    FDP.TYPE_BYTES: "bytes",
    FDP.TYPE_UINT32: "uint32",
    FDP.TYPE_SFIXED32: "sfixed32",
    FDP.TYPE_SFIXED64: "sfixed64",
    FDP.TYPE_SINT32: "sint32",
    FDP.TYPE_SINT64: "sint64",
}

# Well-known types link to their proto (with its comments) in the protobuf
# repository, by file name, which never changes.
WELL_KNOWN_TYPES_URL = "https://github.com/protocolbuffers/protobuf/blob/main/src/"


def compile_protos(root, protoc, files):
    """Runs protoc over `files` (paths relative to root/protos)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "api.pb")
        cmd = [protoc, "-I", str(root / "protos"), "--include_source_info",
               "--include_imports", "--descriptor_set_out=" + out] + files
        subprocess.run(cmd, check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    return fds


def comment_of(location):
    """The leading comment of a location, else its trailing one, dedented."""
    if location is None:
        return ""
    text = location.leading_comments or location.trailing_comments
    lines = text.split("\n")
    # "// foo" leaves " foo": drop the one space after the slashes.
    lines = [line[1:] if line.startswith(" ") else line for line in lines]
    return "\n".join(lines).strip("\n").rstrip()


def escape_markdown(text):
    """Escapes what markdown would misread in proto comments ("<name>" as an
    HTML tag, "changed*" as emphasis), leaving `code spans` alone."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        part = parts[i].replace("\\", "\\\\")
        part = part.replace("*", "\\*")
        parts[i] = part.replace("<", "&lt;").replace(">", "&gt;")
    if len(parts) % 2 == 0:  # unbalanced backtick: keep it literal
        parts[-2] += "\\`" + parts.pop()
    return "`".join(parts)


def prose(text):
    """A comment as markdown paragraphs (outside tables)."""
    return escape_markdown(text)


def cell(text):
    """A comment as the content of one table cell: paragraphs and list items
    become <br> breaks, since a cell is a single line."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", text.strip()):
        out = ""
        for line in para.split("\n"):
            line = line.strip()
            if not line:
                continue
            if not out:
                out = line
            elif line.startswith("- "):
                out += "<br>" + line
            else:
                out += " " + line
        paragraphs.append(out)
    return escape_markdown("<br><br>".join(p for p in paragraphs if p)
                           .replace("<br>", "\x00")).replace("\x00", "<br>") \
        .replace("|", "\\|")


def anchor(full_name):
    return full_name.lstrip(".")


class Element:
    """A documented message, enum or service with its comment."""

    def __init__(self, kind, full_name, proto, path, file, line):
        self.kind = kind
        self.full_name = full_name  # without the leading dot
        self.proto = proto
        self.path = path
        self.file = file
        self.line = line


class ApiDoc:
    def __init__(self, fds, documented):
        self.documented = documented
        self.files = {f.name: f for f in fds.file}
        self.locations = {}  # (file name, path tuple) -> Location
        self.types = {}  # ".pkg.Name" -> (kind, file name, proto)
        for f in fds.file:
            for loc in f.source_code_info.location:
                self.locations[(f.name, tuple(loc.path))] = loc
            prefix = "." + f.package if f.package else ""
            for m in f.message_type:
                self._index_message(f.name, prefix, m)
            for e in f.enum_type:
                self.types[prefix + "." + e.name] = ("enum", f.name, e)
        self.used_as = {}  # message name -> {"Request": [method links], ...}

    def _index_message(self, file, prefix, msg):
        name = prefix + "." + msg.name
        self.types[name] = ("message", file, msg)
        for n in msg.nested_type:
            self._index_message(file, name, n)
        for e in msg.enum_type:
            self.types[name + "." + e.name] = ("enum", file, e)

    def location(self, file, path):
        return self.locations.get((file, tuple(path)))

    def comment(self, file, path):
        return comment_of(self.location(file, path))

    def line_of(self, file, path):
        loc = self.location(file, path)
        return loc.span[0] if loc is not None and loc.span else 0

    def short_name(self, type_name):
        """triggerfish.v1.Rule.Foo -> Rule.Foo; other packages keep theirs."""
        name = type_name.lstrip(".")
        for f in self.documented:
            pkg = self.files[f].package
            if pkg and name.startswith(pkg + "."):
                return name[len(pkg) + 1:]
        return name

    def type_link(self, type_name):
        """Markdown for a message or enum type: a link within this document,
        to the well-known types reference, or to the proto in the repository."""
        _, file, _ = self.types.get(type_name, (None, None, None))
        short = self.short_name(type_name)
        if file in self.documented:
            return "[%s](#%s)" % (short, anchor(type_name))
        if file and file.startswith("google/protobuf/"):
            return "[%s](%s%s)" % (short, WELL_KNOWN_TYPES_URL, file)
        if file:
            return "[%s](../protos/%s)" % (short, file)
        return "`%s`" % short

    # --- collection ---------------------------------------------------------

    def elements(self, file_name):
        """Messages (with nested ones) and enums of a file, in declaration
        order; map entry messages are left out (fields show map<k, v>)."""
        f = self.files[file_name]
        prefix = "." + f.package if f.package else ""
        out = []

        def add_message(msg, path, parent):
            name = parent + "." + msg.name
            out.append(Element("message", name.lstrip("."), msg, path, file_name,
                               self.line_of(file_name, path)))
            nested = []
            for j, n in enumerate(msg.nested_type):
                if not n.options.map_entry:
                    p = path + [MESSAGE_NESTED, j]
                    nested.append((self.line_of(file_name, p), "m", j, n, p))
            for j, e in enumerate(msg.enum_type):
                p = path + [MESSAGE_ENUM, j]
                nested.append((self.line_of(file_name, p), "e", j, e, p))
            for _, k, _, proto, p in sorted(nested, key=lambda t: (t[0], t[1], t[2])):
                if k == "m":
                    add_message(proto, p, name)
                else:
                    out.append(Element("enum", (name + "." + proto.name).lstrip("."),
                                       proto, p, file_name, self.line_of(file_name, p)))

        top = []
        for i, m in enumerate(f.message_type):
            p = [FILE_MESSAGE, i]
            top.append((self.line_of(file_name, p), 0, i, "m", m, p))
        for i, e in enumerate(f.enum_type):
            p = [FILE_ENUM, i]
            top.append((self.line_of(file_name, p), 1, i, "e", e, p))
        for _, _, _, k, proto, p in sorted(top, key=lambda t: t[:3]):
            if k == "m":
                add_message(proto, p, prefix)
            else:
                out.append(Element("enum", (prefix + "." + proto.name).lstrip("."),
                                   proto, p, file_name, self.line_of(file_name, p)))
        return out

    def services(self, file_name):
        f = self.files[file_name]
        prefix = f.package + "." if f.package else ""
        return [Element("service", prefix + s.name, s, [FILE_SERVICE, i], file_name, 0)
                for i, s in enumerate(f.service)]

    # --- rendering ----------------------------------------------------------

    def field_type(self, field):
        if field.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP, FDP.TYPE_ENUM):
            entry = self.types.get(field.type_name)
            if entry and entry[0] == "message" and entry[2].options.map_entry:
                key, value = entry[2].field[0], entry[2].field[1]
                return "map&lt;%s, %s&gt;" % (self.field_type(key),
                                             self.field_type(value))
            base = self.type_link(field.type_name)
        else:
            base = "`%s`" % SCALAR_NAMES[field.type]
        if field.label == FDP.LABEL_REPEATED:
            return "repeated " + base
        if field.proto3_optional:
            return "optional " + base
        return base

    def render_message(self, el, out):
        msg = el.proto
        out.append('<a id="%s"></a>' % el.full_name)
        out.append("#### %s" % self.short_name(el.full_name))
        out.append("")
        text = self.comment(el.file, el.path)
        if text:
            out.append(prose(text))
            out.append("")
        uses = self.used_as.get(el.full_name, {})
        for role in ("Request", "Response"):
            if role in uses:
                out.append("%s of %s." % (role, ", ".join(uses[role])))
                out.append("")
        if msg.options.deprecated:
            out.append("**Deprecated.**")
            out.append("")
        if not msg.field:
            out.append("No fields.")
            out.append("")
            return
        # Real oneofs only: proto3 `optional` fields sit in synthetic ones.
        real_oneofs = sorted({f.oneof_index for f in msg.field
                              if f.HasField("oneof_index") and not f.proto3_optional})
        out.append("| Field | Number | Type | Description |")
        out.append("|---|---|---|---|")
        for i, field in enumerate(msg.field):
            desc = cell(self.comment(el.file, el.path + [MESSAGE_FIELD, i]))
            if field.HasField("oneof_index") and field.oneof_index in real_oneofs:
                group = "*oneof `%s`*" % msg.oneof_decl[field.oneof_index].name
                desc = group + ("<br>" + desc if desc else "")
            if field.options.deprecated:
                desc = "**Deprecated.**" + (" " + desc if desc else "")
            out.append("| `%s` | %d | %s | %s |" % (field.name, field.number,
                                                   self.field_type(field), desc))
        out.append("")
        for index in real_oneofs:
            members = ", ".join("`%s`" % f.name for f in msg.field
                                if f.HasField("oneof_index") and f.oneof_index == index
                                and not f.proto3_optional)
            text = self.comment(el.file, el.path + [MESSAGE_ONEOF, index])
            out.append("**oneof `%s`** (at most one of %s is set)%s" % (
                msg.oneof_decl[index].name, members, ": " + cell(text) if text else "."))
            out.append("")

    def render_enum(self, el, out):
        enum = el.proto
        out.append('<a id="%s"></a>' % el.full_name)
        out.append("#### %s" % self.short_name(el.full_name))
        out.append("")
        out.append("*Enum.*")
        out.append("")
        text = self.comment(el.file, el.path)
        if text:
            out.append(prose(text))
            out.append("")
        out.append("| Name | Number | Description |")
        out.append("|---|---|---|")
        for i, v in enumerate(enum.value):
            desc = cell(self.comment(el.file, el.path + [ENUM_VALUE, i]))
            if v.options.deprecated:
                desc = "**Deprecated.**" + (" " + desc if desc else "")
            out.append("| `%s` | %d | %s |" % (v.name, v.number, desc))
        out.append("")

    def render_service(self, el, out):
        svc = el.proto
        out.append('<a id="%s"></a>' % el.full_name)
        out.append("### %s" % self.short_name(el.full_name))
        out.append("")
        text = self.comment(el.file, el.path)
        if text:
            out.append(prose(text))
            out.append("")
        out.append("| Method | Request | Response |")
        out.append("|---|---|---|")
        for m in svc.method:
            out.append("| [%s](#%s.%s) | %s%s | %s%s |" % (
                m.name, el.full_name, m.name,
                "stream " if m.client_streaming else "", self.type_link(m.input_type),
                "stream " if m.server_streaming else "", self.type_link(m.output_type)))
        out.append("")
        for i, m in enumerate(svc.method):
            out.append('<a id="%s.%s"></a>' % (el.full_name, m.name))
            out.append("#### %s.%s" % (svc.name, m.name))
            out.append("")
            out.append("- Request: %s%s" % ("stream of " if m.client_streaming else "",
                                            self.type_link(m.input_type)))
            out.append("- Response: %s%s" % ("stream of " if m.server_streaming else "",
                                             self.type_link(m.output_type)))
            streaming = {(True, True): "bidirectional",
                         (True, False): "client",
                         (False, True): "server"}.get(
                             (m.client_streaming, m.server_streaming))
            if streaming:
                out.append("- Streaming: %s" % streaming)
            if m.options.deprecated:
                out.append("- **Deprecated.**")
            out.append("")
            text = self.comment(el.file, el.path + [SERVICE_METHOD, i])
            if text:
                out.append(prose(text))
                out.append("")

    def render(self, sources):
        services = [s for f in self.documented for s in self.services(f)]
        for svc in services:
            for m in svc.proto.method:
                link = "[%s.%s](#%s.%s)" % (svc.proto.name, m.name, svc.full_name, m.name)
                for role, t in (("Request", m.input_type), ("Response", m.output_type)):
                    uses = self.used_as.setdefault(t.lstrip("."), {})
                    uses.setdefault(role, []).append(link)

        out = []
        out.append("<!-- Generated by tools/gen-api-docs/gen_api_docs.py; do not edit. "
                   "Regenerate with: %s -->" % REGENERATE)
        out.append("# Triggerfish API reference")
        out.append("")
        packages = sorted({self.files[f].package for f in self.documented})
        out.append("The gRPC API of triggerfishd, package %s. This file is generated "
                   "by `tools/gen-api-docs/gen_api_docs.py` from %s; the comments "
                   "are those of the protos. After changing a proto, regenerate it "
                   "with `%s` (the ctest `docs.api_reference_current` fails while "
                   "it is out of date)." % (
                       ", ".join("`%s`" % p for p in packages),
                       ", ".join("[%s](../%s)" % (s, s) for s in sources), REGENERATE))
        out.append("")
        out.append("Scalar types are those of proto3; well-known types (`google.protobuf.*`) "
                   "link to their definition in the protobuf repository, other imported "
                   "types to their proto file in this repository.")
        out.append("")

        elements = {f: self.elements(f) for f in self.documented}
        out.append("## Contents")
        out.append("")
        out.append("- [Services](#services)")
        for svc in services:
            out.append("  - [%s](#%s)" % (svc.proto.name, svc.full_name))
        out.append("- [Messages and enums](#messages-and-enums)")
        for f in self.documented:
            if not elements[f]:
                continue
            out.append("  - [%s](#%s)" % (f, file_anchor(f)))
            for el in elements[f]:
                out.append("    - [%s](#%s)%s" % (self.short_name(el.full_name), el.full_name,
                                                  " (enum)" if el.kind == "enum" else ""))
        out.append("")

        out.append("## Services")
        out.append("")
        for svc in services:
            self.render_service(svc, out)

        out.append("## Messages and enums")
        out.append("")
        for f in self.documented:
            if not elements[f]:
                continue
            out.append('<a id="%s"></a>' % file_anchor(f))
            out.append("### File %s" % f)
            out.append("")
            for el in elements[f]:
                if el.kind == "message":
                    self.render_message(el, out)
                else:
                    self.render_enum(el, out)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"


def file_anchor(file_name):
    return "file-" + re.sub(r"[^A-Za-z0-9]+", "-", file_name)


def generate(root, protoc):
    proto_dir = root / "protos" / PACKAGE_DIR
    files = sorted("%s/%s" % (PACKAGE_DIR, p.name) for p in proto_dir.glob("*.proto"))
    if not files:
        sys.exit("no .proto files in %s" % proto_dir)
    fds = compile_protos(root, protoc, files)
    return ApiDoc(fds, files).render(["protos/" + f for f in files])


def main():
    default_root = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=pathlib.Path, default=default_root,
                        help="repository root (default: %(default)s)")
    parser.add_argument("--protoc", default="protoc", help="protoc executable")
    parser.add_argument("--out", type=pathlib.Path,
                        help="output file (default: ROOT/docs/api.md)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 with a diff when the output "
                             "file differs from what the protos produce")
    parser.add_argument("--generated", type=pathlib.Path,
                        help="with --check: where to write the generated version "
                             "(default: a temporary file, removed when current)")
    args = parser.parse_args()
    out = args.out or args.root / "docs" / "api.md"
    text = generate(args.root, args.protoc)

    if args.check:
        # The generated version is written to a file too, so that a failing
        # run leaves something to diff or copy by hand.
        if args.generated:
            generated = args.generated
            generated.parent.mkdir(parents=True, exist_ok=True)
            generated.write_text(text)
        else:
            with tempfile.NamedTemporaryFile("w", suffix="-api.md", delete=False) as tmp:
                tmp.write(text)
            generated = pathlib.Path(tmp.name)
        current = out.read_text() if out.exists() else ""
        if current == text:
            if not args.generated:
                generated.unlink()
            print("%s is current" % out)
            return 0
        diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                         str(out), "generated", lineterm=""))
        print("\n".join(diff[:200]))
        if len(diff) > 200:
            print("... (%d more diff lines)" % (len(diff) - 200))
        print("\n%s is out of date with protos/%s/*.proto (generated version: %s).\n"
              "Regenerate it from the repository root with:\n    %s\n"
              "and commit docs/api.md." % (out, PACKAGE_DIR, generated, REGENERATE))
        return 1

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
