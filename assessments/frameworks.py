"""Reading a framework version from a file (JSON or YAML; JSON is read as YAML).

The format, documented in README.md:

    code: iqm-eight-elements          # letters, digits and hyphens; unique in the authority
    name: IQM framework, eight elements
    description: ...                  # optional
    previous: iqm-ten-elements        # optional: the version it replaces
    elements:                         # 1 to 30
      - code: values-leadership
        title: Inclusion values, ethos and leadership
        guidance: ...                 # optional
        maps_from: leadership         # optional: an element code of the previous version
        descriptors:                  # 1 to 20 statements of good practice
          - Inclusion is part of the school's vision...

Every error names the line and the field, so whoever wrote the file can put it right.
"""

import re
from dataclasses import dataclass, field

import yaml

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BYTES = 512 * 1024


class FrameworkFileError(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class ElementSpec:
    code: str
    title: str
    guidance: str = ""
    maps_from: str = ""
    descriptors: list = field(default_factory=list)


@dataclass
class FrameworkSpec:
    code: str
    name: str
    description: str = ""
    previous: str = ""
    elements: list = field(default_factory=list)


class _Reader:
    def __init__(self):
        self.errors = []

    def error(self, node, where, message):
        self.errors.append(f"Line {node.start_mark.line + 1}, {where}: {message}")

    def mapping(self, node, where, required, optional):
        if not isinstance(node, yaml.MappingNode):
            self.error(node, where, "expected a set of named fields")
            return None
        values = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in required and name not in optional:
                self.error(
                    key,
                    f"{where}.{name}" if where else str(name),
                    f"unknown field; the fields are {', '.join(sorted(required | optional))}",
                )
            elif name in values:
                self.error(key, f"{where}.{name}" if where else name, "appears twice")
            else:
                values[name] = value
        for name in sorted(required - set(values)):
            self.error(node, f"{where}.{name}" if where else name, "is required")
        return values

    def text(self, value_node, path, max_length, required=True, slug=False):
        if value_node is None:
            return ""
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            if required:
                self.error(value_node, path, "must not be empty")
            return ""
        if not isinstance(value_node, yaml.ScalarNode):
            self.error(value_node, path, "expected text")
            return ""
        value = value_node.value.strip()
        if required and not value:
            self.error(value_node, path, "must not be empty")
        elif len(value) > max_length:
            self.error(
                value_node, path, f"is {len(value)} characters long; the limit is {max_length}"
            )
        elif slug and value and not SLUG.match(value):
            self.error(
                value_node,
                path,
                "use lower-case letters, digits and single hyphens only, like ten-elements",
            )
        return value

    def sequence(self, node, path, low, high, what):
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list of {what}")
            return []
        if not low <= len(node.value) <= high:
            self.error(
                node, path, f"has {len(node.value)} {what}; between {low} and {high} are allowed"
            )
        return node.value


def parse_framework(content: bytes) -> FrameworkSpec:
    """A framework from a file's bytes, or FrameworkFileError listing every problem."""
    if len(content) > MAX_BYTES:
        raise FrameworkFileError([f"The file is larger than {MAX_BYTES // 1024} KB."])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FrameworkFileError(
            [f"The file is not UTF-8 text (byte {error.start + 1} cannot be read)."]
        ) from error
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise FrameworkFileError(
            [f"Line {mark.line + 1}, column {mark.column + 1}: {error.problem}."]
        ) from error
    if root is None:
        raise FrameworkFileError(["The file is empty."])

    r = _Reader()
    top = r.mapping(root, "", {"code", "name", "elements"}, {"description", "previous"})
    if top is None:
        raise FrameworkFileError(r.errors)
    spec = FrameworkSpec(
        code=r.text(top.get("code"), "code", 50, slug=True),
        name=r.text(top.get("name"), "name", 150),
        description=r.text(top.get("description"), "description", 2000, required=False),
        previous=r.text(top.get("previous"), "previous", 50, required=False, slug=True),
    )
    codes = set()
    if "elements" in top:
        for i, node in enumerate(r.sequence(top["elements"], "elements", 1, 30, "elements")):
            where = f"elements[{i + 1}]"
            values = r.mapping(
                node, where, {"code", "title", "descriptors"}, {"guidance", "maps_from"}
            )
            if values is None:
                continue
            element = ElementSpec(
                code=r.text(values.get("code"), f"{where}.code", 50, slug=True),
                title=r.text(values.get("title"), f"{where}.title", 200),
                guidance=r.text(values.get("guidance"), f"{where}.guidance", 2000, required=False),
                maps_from=r.text(
                    values.get("maps_from"), f"{where}.maps_from", 50, required=False, slug=True
                ),
            )
            if element.code in codes:
                r.error(
                    values["code"],
                    f"{where}.code",
                    f"“{element.code}” is used by an earlier element",
                )
            codes.add(element.code)
            if "descriptors" in values:
                for j, d in enumerate(
                    r.sequence(values["descriptors"], f"{where}.descriptors", 1, 20, "descriptors")
                ):
                    element.descriptors.append(r.text(d, f"{where}.descriptors[{j + 1}]", 1000))
            spec.elements.append(element)
    if r.errors:
        raise FrameworkFileError(r.errors)
    return spec
