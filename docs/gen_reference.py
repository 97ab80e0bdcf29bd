"""Reference pages generated from the code at build time (mkdocs-gen-files).

* ``reference/cli.md``: every command and subcommand of the ``ocrflow`` Typer app, read from
  the click command objects (usage, help text, arguments and options).
* ``reference/settings.md``: every setting of ``OcrSettings``, a table per group, with its type,
  default, environment variable(s) and description. Works on a flat settings class (fields
  directly on ``OcrSettings``, ``OCRFLOW_<FIELD>``) and on a nested one (fields whose type is a
  pydantic model, ``OCRFLOW_<GROUP>__<FIELD>``, flat names from ``LEGACY_ENV_NAMES``).

Run by ``mkdocs build`` (plugin ``gen-files`` in mkdocs.yml). ``python docs/gen_reference.py
OUT_DIR`` writes the same pages into OUT_DIR without mkdocs, for a look.
"""

from __future__ import annotations

import datetime
import enum
import inspect
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
HOME = Path.home()


# --- shared helpers ---------------------------------------------------------------------


def cell(text: object) -> str:
    """Text safe inside a markdown table cell (no pipes, no line breaks)."""
    return " ".join(str(text).split()).replace("|", "&#124;")


def shown_path(value: object) -> str:
    """A default as a reader would write it: the checkout and the home folder by name."""
    text = str(value)
    root = str(REPO_ROOT)
    if text == root or text.startswith(root + "/"):
        text = "<checkout>" + text[len(root) :]
    home = str(HOME)
    if home not in ("", "/") and (text == home or text.startswith(home + "/")):
        text = "~" + text[len(home) :]
    return text


def code(text: str) -> str:
    """An inline code span for a table cell (backticks in the text are dropped)."""
    text = cell(text).replace("`", "'")
    return f"`{text}`" if text else ""


def type_name(annotation: Any) -> str:
    """An annotation in words: ``int``, ``one of: a, b``, ``str or none``."""
    if annotation is None or annotation is type(None):
        return "none"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        text = " or ".join(names)
        return f"{text} or none" if type(None) in args else text
    if origin in (list, tuple, set, frozenset):
        inner = ", ".join(type_name(a) for a in args if a is not Ellipsis)
        return f"list of {inner}" if inner else "list"
    if origin in (dict, Mapping):
        return "mapping"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, enum.Enum):
            return "one of: " + ", ".join(str(m.value) for m in annotation)
        if issubclass(annotation, Path):
            return "path"
        if issubclass(annotation, datetime.datetime):
            return "datetime"
        return annotation.__name__
    return str(annotation).replace("typing.", "")


# --- the command line -------------------------------------------------------------------


def cli_markdown() -> str:
    import typer.main

    from ocrflow.flows.cli import app

    root = typer.main.get_command(app)
    context_class = getattr(root, "context_class", None)
    if context_class is None:  # pragma: no cover - every click Command has one
        raise RuntimeError("the root command has no context class")
    root_context = context_class(root, info_name="ocrflow")
    parts = [
        "# Command line\n",
        "Generated from the `ocrflow` command's own definitions "
        "(`ocrflow.flows.cli`) when these pages are built, so it matches the installed "
        "version. Run `ocrflow COMMAND --help` for the same text in a terminal.\n",
    ]
    commands = list(walk_commands(root, root_context))
    parts.append("| command | what it does |\n|---|---|")
    for command, context in commands[1:]:
        path = context.command_path
        parts.append(f"| [`{path}`](#{anchor(path)}) | {cell(short_help(command))} |")
    parts.append("")
    for command, context in commands:
        parts.append(command_markdown(command, context))
    return "\n".join(parts)


def walk_commands(command: Any, context: Any) -> Iterator[tuple[Any, Any]]:
    """The command and, depth first in their declared order, its visible subcommands."""
    yield command, context
    subcommands: Mapping[str, Any] | None = getattr(command, "commands", None)
    if not subcommands:
        return
    names = command.list_commands(context) if hasattr(command, "list_commands") else subcommands
    for name in names:
        sub = subcommands.get(name) if hasattr(command, "list_commands") else subcommands[name]
        if sub is None or getattr(sub, "hidden", False):
            continue
        sub_context = sub.context_class(sub, info_name=name, parent=context)
        yield from walk_commands(sub, sub_context)


def anchor(command_path: str) -> str:
    return command_path.lower().replace(" ", "-")


def help_text(command: Any) -> str:
    text = inspect.cleandoc(command.help or "")
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def short_help(command: Any) -> str:
    if getattr(command, "short_help", None):
        return str(command.short_help)
    paragraphs = help_text(command).split("\n\n")
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def command_markdown(command: Any, context: Any) -> str:
    path = context.command_path
    depth = min(path.count(" ") + 1, 3)
    heading = "#" * (depth + 1)
    usage = " ".join([path, *command.collect_usage_pieces(context)])
    lines = [f"{heading} `{path}` {{ #{anchor(path)} }}\n", f"```text\n{usage}\n```\n"]
    text = help_text(command)
    if text:
        lines.append(text + "\n")
    params = [p for p in command.get_params(context) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if is_argument(p)]
    options = [p for p in params if not is_argument(p) and p.name != "help"]
    if arguments:
        lines.append("| argument | type | required | description |\n|---|---|---|---|")
        for param in arguments:
            lines.append(
                f"| `{param_label(param)}` | {cell(param_type(param))} | "
                f"{'yes' if param.required else 'no'} | {cell(param_help(param))} |"
            )
        lines.append("")
    if options:
        lines.append("| option | type | default | description |\n|---|---|---|---|")
        for param in options:
            names = " / ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
            lines.append(
                f"| {names} | {cell(param_type(param))} | {param_default(param)} | "
                f"{cell(param_help(param))} |"
            )
        lines.append("")
    subcommands = getattr(command, "commands", None)
    if subcommands and depth > 1:
        visible = [n for n, c in subcommands.items() if not getattr(c, "hidden", False)]
        links = ", ".join(f"[`{path} {n}`](#{anchor(f'{path} {n}')})" for n in visible)
        lines.append(f"Subcommands: {links}.\n")
    return "\n".join(lines)


def is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def param_label(param: Any) -> str:
    name = (param.name or "").upper()
    variadic = getattr(param, "nargs", 1) == -1 or getattr(param, "multiple", False)
    return f"{name}..." if variadic else name


def param_help(param: Any) -> str:
    return " ".join(str(getattr(param, "help", "") or "").split())


def param_type(param: Any) -> str:
    """The value an option takes, from the parameter object (Typer's or click's)."""
    if getattr(param, "is_flag", False) and not getattr(param, "secondary_opts", None):
        return "flag"
    descriptor = getattr(param, "type_descriptor", None)  # Typer >= 0.25 (its own click core)
    if descriptor is not None:
        annotation = descriptor.annotation
        if typing.get_origin(annotation) is list and getattr(param, "nargs", 1) == -1:
            annotation = typing.get_args(annotation)[0]
        name = type_name(annotation)
    else:  # click parameter types
        kind = getattr(param, "type", None)
        choices = getattr(kind, "choices", None)
        if choices:
            name = "one of: " + ", ".join(str(c) for c in choices)
        else:
            name = str(getattr(kind, "name", "") or "text")
            name = {"integer": "int", "float": "float", "text": "str", "boolean": "bool"}.get(
                name, name
            )
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        name += f", {low} to {high}"
    elif low is not None:
        name += f", at least {low}"
    elif high is not None:
        name += f", at most {high}"
    return name


def param_default(param: Any) -> str:
    show = getattr(param, "show_default", True)
    if show is False:
        return ""
    if isinstance(show, str):
        return cell(show)
    default = param.default
    if callable(default) or default is None or default == ():
        return ""
    secondary = getattr(param, "secondary_opts", None)
    if isinstance(default, bool) and secondary:
        return f"`{param.opts[0] if default else secondary[0]}`"
    if isinstance(default, bool) and getattr(param, "is_flag", False):
        return "on" if default else ""
    if isinstance(default, enum.Enum):
        default = default.value
    if isinstance(default, (list, tuple)):
        return ", ".join(code(shown_path(d)) for d in default)
    return code(shown_path(default))


# --- the settings -----------------------------------------------------------------------


def settings_markdown() -> str:
    from ocrflow.schemas import settings as module

    return render_settings(module.OcrSettings, getattr(module, "LEGACY_ENV_NAMES", None))


def render_settings(settings_class: Any, legacy: Mapping[str, str] | None) -> str:
    """The settings reference of ``settings_class`` (flat or nested in groups)."""
    config = getattr(settings_class, "model_config", {})
    prefix = str(config.get("env_prefix", "") or "")
    delimiter = str(config.get("env_nested_delimiter", "") or "__")
    upper = not config.get("case_sensitive", False)
    legacy_by_path: dict[str, list[str]] = {}
    for old_name, dotted in (legacy or {}).items():
        legacy_by_path.setdefault(dotted, []).append(old_name)

    def env_name(*names: str) -> str:
        name = prefix + delimiter.join(names)
        return name.upper() if upper else name

    groups: list[tuple[str, str, list[tuple[str, Any, list[str]]]]] = []
    ungrouped: list[tuple[str, Any, list[str]]] = []
    for name, info in settings_class.model_fields.items():
        group = group_model(info.annotation)
        if group is None:
            ungrouped.append((name, info, [env_name(name), *legacy_by_path.get(name, [])]))
            continue
        rows = [
            (
                f"{name}.{field_name}",
                field_info,
                [env_name(name, field_name), *legacy_by_path.get(f"{name}.{field_name}", [])],
            )
            for field_name, field_info in group.model_fields.items()
        ]
        title = info.description or first_line(group.__doc__)
        groups.append((name, title, rows))

    nested = bool(groups)
    first = (groups[0][2] if groups else ungrouped)[0]
    parts = ["# Settings\n", settings_intro(first, nested, bool(legacy_by_path))]
    if nested:
        parts.append("| group | what it holds |\n|---|---|")
        for name, title, _rows in groups:
            parts.append(f"| [`{name}`](#{name}) | {cell(first_line(title))} |")
        parts.append("")
    if ungrouped:
        heading = "## Other settings\n" if nested else "## All settings\n"
        parts.append(heading)
        parts.append(settings_table(ungrouped))
    for name, title, rows in groups:
        parts.append(f"## `{name}` {{ #{name} }}\n")
        if title:
            parts.append(inspect.cleandoc(title) + "\n")
        parts.append(settings_table(rows))
    return "\n".join(parts)


def settings_intro(example: tuple[str, Any, list[str]], nested: bool, has_legacy: bool) -> str:
    _name, info, env_names = example
    sample = f"{env_names[0]}={field_example(info)}"
    lines = [
        "Generated from `OcrSettings` (`ocrflow/schemas/settings.py`) when these pages are "
        "built. Every setting has a default; the environment overrides it, and flow "
        "parameters and command-line flags override the environment.\n",
    ]
    if nested:
        lines.append(
            "Settings come in groups. In the environment a setting is its prefix, group and "
            f"name in capitals, for example `{sample}`."
            + (
                " The flat names of earlier releases, listed second, still work; when both "
                "are set, the grouped name wins."
                if has_legacy
                else ""
            )
            + "\n"
        )
    else:
        lines.append(
            "In the environment a setting is its prefix and name in capitals, for example "
            f"`{sample}`.\n"
        )
    return "\n".join(lines)


def settings_table(rows: list[tuple[str, Any, list[str]]]) -> str:
    lines = ["| setting | type | default | environment | description |", "|---|---|---|---|---|"]
    for name, info, env_names in rows:
        envs = "<br>".join(f"`{e}`" for e in env_names)
        lines.append(
            f"| `{name}` | {cell(field_type(info))} | {field_default(info)} | {envs} | "
            f"{cell(info.description or '')} |"
        )
    lines.append("")
    return "\n".join(lines)


def group_model(annotation: Any) -> Any:
    """The pydantic model class of a group field, or None for a plain setting."""
    from pydantic import BaseModel

    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def field_type(info: Any) -> str:
    name = type_name(info.annotation)
    bounds = []
    for item in info.metadata:
        for attribute, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(item, attribute, None)
            if value is not None:
                bounds.append(f"{word} {value}")
    return f"{name}, {' and '.join(bounds)}" if bounds else name


def field_default(info: Any) -> str:
    from pydantic_core import PydanticUndefined

    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    factory: Callable[[], Any] | None = info.default_factory
    try:
        value = factory() if factory is not None else info.default
    except TypeError:  # a factory that takes the validated data
        return ""
    if value is None:
        return "none"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"`{value:_}`"
    return code(shown_path(value))


def field_example(info: Any) -> str:
    """A value to show in the example assignment: the default, else a placeholder."""
    from pydantic_core import PydanticUndefined

    value = info.default
    if value is PydanticUndefined or value is None:
        return "..."
    return str(value).lower() if isinstance(value, bool) else shown_path(value)


def first_line(text: str | None) -> str:
    return inspect.cleandoc(text or "").split("\n\n")[0].replace("\n", " ").strip()


# --- entry points ------------------------------------------------------------------------

PAGES: dict[str, Callable[[], str]] = {
    "reference/cli.md": cli_markdown,
    "reference/settings.md": settings_markdown,
}


def main() -> None:
    import mkdocs_gen_files

    for path, render in PAGES.items():
        with mkdocs_gen_files.open(path, "w") as page:
            page.write(render())
        mkdocs_gen_files.set_edit_path(path, "gen_reference.py")


if __name__ == "__main__" and len(sys.argv) == 2:
    out = Path(sys.argv[1])
    for path, render in PAGES.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(), encoding="utf-8")
        print(target)
else:
    main()
