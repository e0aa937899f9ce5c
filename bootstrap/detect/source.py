"""One Python source file read as text: which Python it is written for, and what it imports.

Nothing here runs or imports the project's code. Python 3's `ast` parses what the host can; Python 2
sources (which no Python 3 parser accepts) are read with the tokenizer, whose token stream is the
same for both languages, and with line patterns where even the tokenizer gives up.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Statements whose ':' may be followed by another statement on the same line.
_COMPOUND = {
    "if",
    "elif",
    "else",
    "for",
    "while",
    "try",
    "except",
    "finally",
    "with",
    "def",
    "class",
}
#: `print >>f, x`: parses as Python 3 (a shift of the print function), never meant so.
_PRINT_CHEVRON = re.compile(r"\bprint\s*>>")
_NOT_PRINT_ARG = {"(", "=", ")", ",", ".", "[", ";", ":", "+=", "-=", "*=", "/=", "%=", "|=", "&="}


@dataclass(frozen=True)
class Marker:
    """One piece of evidence: what was seen, and on which line."""

    line: int
    what: str


@dataclass
class SourceInfo:
    """What one file says: Python 2 syntax, the newest Python 3 syntax, and its imports."""

    python2: list[Marker] = field(default_factory=list)
    #: (minimum Python, marker), e.g. ("3.8", Marker(4, "the walrus operator :="))
    floors: list[tuple[str, Marker]] = field(default_factory=list)
    #: dotted module names with the line of their import
    imports: list[tuple[str, int]] = field(default_factory=list)
    #: imports the code can do without: under try/except ImportError, TYPE_CHECKING or a version test
    optional_imports: list[tuple[str, int]] = field(default_factory=list)
    parsed: bool = True


class Unparsable(ValueError):
    """Neither Python 3's parser nor the tokenizer could read the file."""


def decode(data: bytes) -> str:
    """Source bytes as text, honouring a PEP 263 coding line; UnicodeDecodeError when impossible."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UnicodeDecodeError("utf-8", data, 0, 1, str(exc)) from None
    try:
        return data.decode(encoding)
    except LookupError:
        raise UnicodeDecodeError("utf-8", data, 0, 1, f"unknown encoding {encoding}") from None


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def scan(text: str) -> SourceInfo:
    """Python 2 markers, Python 3 floors and imports of one source file (raises Unparsable)."""
    text = text.lstrip("\ufeff")
    info = SourceInfo()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        _tree_facts(tree, text, info)
        if not _PRINT_CHEVRON.search(text):
            return info  # the tree said all: tokenizing too would double the cost of a file
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        tokens = None
    if tokens is not None:
        if tree is None:
            info.imports = _imports(tokens)
        if tree is not None:
            # `print >>f, x` parses as Python 3 too (a shift of the print function), never meant so
            info.python2 = [
                Marker(s[0].start[0], "print statement")
                for s in _statements(tokens)
                if len(s) > 1 and s[0].string == "print" and s[1].string == ">>"
            ]
        else:
            info.python2 = _py2_tokens(tokens)
            if not info.python2:
                host = f"{sys.version_info[0]}.{sys.version_info[1]}"
                info.floors = [
                    f for f in _token_floors(tokens) if version_key(f[0]) > version_key(host)
                ]
    if tree is None and not info.python2 and tokens is None:
        info.python2 = _py2_lines(text)
        if info.python2:
            info.imports = _line_imports(text)
    if tree is None and not info.python2 and not info.floors:
        raise Unparsable("not valid Python 2 or 3")
    return info


# --- most files: line patterns, when nothing asks for the parser ----------------------------------

#: Anything that needs the parser to judge: an import that is not at the top level (perhaps guarded),
#: Python 2 candidates, and syntax or library features that raise the floor; each pattern is tried
#: only when its literal is in the text. Backticks are not a candidate: docstrings are full of them.
_NEEDS_PARSER = [
    (literal, re.compile(pattern))
    for literal, pattern in (
        ("import", r"\n[ \t]+import[ \t]|\n[ \t]+from[ \t]"),  # indented: perhaps guarded
        # after a colon or a semicolon (try: import x / x = 1; import y): on no line of its own
        *(
            (word, rf"{word}[ \t](?:(?<=[:;][ \t]{word}[ \t])|(?<=[:;]{word}[ \t]))")
            for word in ("import", "from")
        ),
        ("print", r"\n[ \t]*print\b(?![ \t]*\()"),
        (
            "print",
            r"print\b(?![ \t]*\()(?:(?<=[:;][ \t]print)|(?<=[:;]print))",
        ),  # for x in y: print x
        ("exec", r"\n[ \t]*exec\b(?![ \t]*\()"),
        ("<>", r"<>"),
        # ur'' strings and long literals (10L): each search starts at its rarer last characters, which
        # the regex engine finds as fast as str.find, and looks behind from there
        *((f"{r}{q}", f"{r}{q}(?<=(?<![\\w\"'])[uU]{r}{q})") for r in "rR" for q in "'\""),
        ("L", r"L\b(?<=[0-9]L)"),
        ("l", r"l\b(?<=[0-9]l)"),
        # a comma after the exception (except E, e: / except (A, B), e:), or after what is raised
        # (raise E, "message" / raise E(x), None, tb): not the commas inside a tuple or a call
        ("except", r"\n[ \t]*except\b[ \t]*(?:[\w.]+|\([^)]*\))[ \t]*,"),
        (
            "raise",
            r"\n[ \t]*raise[ \t]+"
            r"(?:[\w.]+|[\w.]+\((?:[^()\n]|\([^()\n]*\))*\)|[\"'][^\"'\n]*[\"'])[ \t]*,",
        ),
        ("match", r"\n[ \t]*match[ \t]"),
        ("type", r"\n[ \t]*type[ \t]+\w+[ \t]*[=\[]"),
        ("*", r"except[ \t]*\*"),
        ("def", r"def[ \t]+\w+[ \t]*\["),
        ("class", r"class[ \t]+\w+[ \t]*\["),
        ("/", r"/(?=[ \t]*[,)])(?:(?<=[(,]/)|(?<=[(,][ \t]/))"),  # a positional-only marker
        ("tomllib", r"tomllib"),
        ("zoneinfo", r"zoneinfo"),
        ("graphlib", r"graphlib"),
        ("metadata", r"importlib\b.*\bmetadata"),
        ("\\", r"\\[ \t]*\n"),
    )
]
#: A top-level import, found by the newline before it (searched in "\n" + text)
_TOP_IMPORT = re.compile(
    r"\n(?:import[ \t]+([\w. \t,]+)|from[ \t]+([\w.]+)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*))"
)
_RELATIVE_IMPORT = re.compile(r"\nfrom[ \t]+\.")
_COMMENT = re.compile(r"#[^\n]*")


def scan_fast(text: str) -> SourceInfo:
    """Like :func:`scan`, but without parsing files whose imports are all at the top level.

    Most files of a large project have nothing for the parser to judge: top-level imports read from
    the lines say the same as the syntax tree, at a tenth of the cost. An indented import (perhaps
    guarded) or a newer expression (``:=``, a dict ``|``) needs the tree of its top-level statement
    only: those statements alone are parsed. Anything else (Python 2 candidates, newer statements)
    goes to :func:`scan`. A file that is not Python at all is not noticed here.
    """
    text = text.lstrip("\ufeff")
    lines = "\n" + text  # every pattern finds a line's start by its newline: much faster than ^
    for literal, gate in _NEEDS_PARSER[1:]:
        if literal in text and gate.search(lines):
            return scan(text)
    if _octal_candidate(text):
        return scan(text)
    # where the statements to parse are: an indented import starts its line ("\n" shifts by one),
    # an expression hint is found in the text itself
    wanted = [m.start() for m in _INDENTED_IMPORT.finditer(lines)] if "import" in text else []
    for literal, hint in _EXPRESSION_HINTS:
        if literal in text:
            wanted += [m.start() for m in hint.finditer(text)]
    parts = None
    if wanted:
        parts = _statements_parsed(text, sorted(wanted))
        if parts is None:
            return scan(text)
    info = SourceInfo()
    strings = _Strings(text)
    line, counted = 1, 0
    for match in _TOP_IMPORT.finditer(lines):
        at = match.start()  # the match's newline in `lines` is where its line starts in `text`
        if strings.cover(at):
            return scan(text)  # code in a string (a template, an example): the parser can tell
        line += text.count("\n", counted, at)
        counted = at
        if match.group(1):
            for part in match.group(1).split(","):
                name = part.split()[0] if part.split() else ""
                if name:
                    info.imports.append((name, line))
        elif not match.group(2).startswith("."):
            module = match.group(2)
            info.imports.append((module, line))
            names = _COMMENT.sub("", match.group(3)).strip("() \t\n")
            for part in names.split(","):
                words = part.split()
                if words and words[0] != "*" and words[0].isidentifier():
                    info.imports.append((f"{module}.{words[0]}", line))
    if not info.imports and text.strip() and not _RELATIVE_IMPORT.search(lines):
        return scan(text)  # nothing learnt from the lines: let the parser judge the whole file
    if parts is not None:
        info.imports += parts.imports  # the tree's walk reaches nested imports after top-level ones
        info.optional_imports = parts.optional_imports
        info.floors = parts.floors  # the f-string too, found in the whole text
        return info
    fstring = _first_f_string(text)
    if fstring >= 0:
        info.floors = [("3.6", Marker(text.count("\n", 0, fstring) + 1, "f-string"))]
    return info


#: The first of _NEEDS_PARSER: an indented import, perhaps guarded (try, TYPE_CHECKING).
_INDENTED_IMPORT = _NEEDS_PARSER[0][1]
#: An import after a colon or a semicolon (``try: import x``, ``x = 1; import y``): on no line of
#: its own, so only the parser finds it
_INLINE_IMPORT = re.compile(r"[:;][ \t]*(?:import|from)[ \t]")
#: A line that starts a top-level statement: not indented, not a comment, not a closing bracket,
#: not a clause that continues the statement above
_TOP_START = re.compile(r"^(?![ \t\r\n#)\]}]|(?:else|elif|except|finally)\b)", re.MULTILINE)
_COMPOUND_START = re.compile(r"(?:async|def|class|if|try|with|for|while)\b")
#: What the whole tree would show outside the statements parsed, though no gate saw it: a `/`
#: parameter on a line of its own (black's layout), ``match(x):``, ``from importlib import (``
_ELSEWHERE = re.compile(r"[(,\n][ \t]*/[ \t]*(?:[,)#\r\n]|$)|\n[ \t]*match[(\[]|importlib")


def _statements_parsed(text: str, wanted: list[int]) -> SourceInfo | None:
    """Imports inside functions, classes and blocks, and newer expressions, from a parse of only
    the top-level statements holding one of ``wanted`` (sorted positions in ``text``); None: let
    the parser read the whole file.

    saleor imports inside functions in one file of twenty, and uses ``:=`` in one of forty;
    parsing those statements alone, the other lines blanked so the line numbers stay, gives what
    the whole tree gives: a statement without an import or a hint adds nothing, and the tree is
    walked in the same order. Where the lines may mislead (a statement's first line in a string, an
    import after a colon, a statement that does not parse alone, ``print >>``, what no gate sees
    elsewhere), None.
    """
    if _INLINE_IMPORT.search(text) or _PRINT_CHEVRON.search(text):
        return None
    if _ELSEWHERE.search("\n" + text):
        return None
    starts = [m.start() for m in _TOP_START.finditer(text)]
    strings = _Strings(text)
    chosen: set[tuple[int, int]] = set()
    for where in wanted:
        index = bisect.bisect_right(starts, where) - 1
        if index < 0:
            return None  # indented before any statement: a syntax error, or worse
        begin = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        if strings.cover(begin) or strings.cover(where) or strings.cover(end):
            return None
        if text.find("\n", begin, where) >= 0 and not _COMPOUND_START.match(text, begin):
            return None  # an indented line in a simple statement: a continuation, perhaps a string
        chosen.add((begin, end))
    pieces, done = [], 0
    for begin, end in sorted(chosen):
        pieces.append("\n" * text.count("\n", done, begin))
        pieces.append(text[begin:end])
        done = end
    try:
        tree = ast.parse("".join(pieces))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body):
        return None  # the lines read top-level imports already
    info = SourceInfo()
    _tree_facts(tree, text, info)
    return info


_OCTAL = re.compile(r"0[0-7]+\b")  # a literal prefix: the regex engine skips ahead to each "0"
_OCTAL_AFTER_WORD = re.compile(r"(?:^|\W)(?:return|and|or|not|in|is|if|else)$")


def _octal_candidate(text: str) -> bool:
    """A Python 2 octal literal (``os.chmod(p, 0755)``, ``mode & 0111``, ``return 0644``), not a
    time (10:07) or a date (2017-02-06)."""
    for match in _OCTAL.finditer(text):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "._-'\"/"):
            continue
        near = text[max(0, start - 8) : start]
        before = near.rstrip(" \t")
        if before.endswith(("=", "(", ",", "[")):
            return True
        if before.endswith(("&", "|", "^", "+", "*", "%", "<", ">", "~")) and (
            before != near or before[-2:-1] in (" ", "\t")  # spaced: not 10:59+00:00
        ):
            return True
        if _OCTAL_AFTER_WORD.search(before):
            return True
        if before.endswith(":") and not before[:-1].rstrip().endswith(tuple("0123456789")):
            return True
    return False


class _Strings:
    """Spans between triple quotes, paired in order: where an import line is no import.

    Asked once per import or hint of a file: by bisection over the merged spans, so a file built
    of thousands of both costs no more than its length.
    """

    def __init__(self, text: str) -> None:
        spans = []
        for quote in ('"""', "'''"):
            index = text.find(quote)
            while index >= 0:
                end = text.find(quote, index + 3)
                if end < 0:
                    break
                spans.append((index, end))
                index = text.find(quote, end + 3)
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def cover(self, at: int) -> bool:
        """Whether ``at`` is strictly inside a span."""
        index = bisect.bisect_left(self._starts, at) - 1
        return index >= 0 and at < self._ends[index]


def _first_f_string(text: str) -> int:
    """Where the first f-string starts (-1: none); str.find is many times faster than a regex.

    An f-string right after another string (``"a"f"{b}"``) is missed: a quote before the f is far
    more often the letter f quoted."""
    first = -1
    for quote in ('f"', "f'", 'F"', "F'"):
        index = text.find(quote)
        while index >= 0 and (first < 0 or index < first):
            before = text[index - 1] if index else " "
            if before in "rR":
                before = text[index - 2] if index > 1 else " "
            # a name's end (elif'x'), or a string's quote: the letter f in quotes ('e', 'f', 'g')
            if not (before.isalnum() or before in "_'\""):
                first = index
                break
            index = text.find(quote, index + 1)
    return first


# --- Python 3: the syntax tree -----------------------------------------------------------------

#: Standard-library modules newer than the oldest Python 3 the catalog has, as vermin dates them.
_STDLIB_FLOORS = {
    "tomllib": "3.11",
    "zoneinfo": "3.9",
    "graphlib": "3.9",
    "importlib.metadata": "3.8",
}
#: Methods only newer Pythons have, called on any object (as vermin reports them).
_METHOD_FLOORS = {"removeprefix": "3.9", "removesuffix": "3.9"}
#: Text that an expression-level feature needs: without it, expressions are not walked at all.
_EXPRESSION_HINTS = [
    (literal, re.compile(pattern))
    for literal, pattern in (
        (":=", ":="),
        (".remove", r"\.remove(?:prefix|suffix)\b"),
        ("|", r"[)}][ \t]*\|(?!\|)|\|=?[ \t]*(?:\{|dict\()"),
        ("lambda", r"lambda[^:\n]*/"),
    )
]
_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _guards_imports(node: ast.Try) -> bool:
    """A try whose handlers catch a failed import: what it imports is optional."""
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(getattr(n, "id", getattr(n, "attr", None)) in _GUARDS for n in names):
            return True
    return False


def _conditional(node: ast.If) -> bool:
    """``if TYPE_CHECKING:`` or ``if sys.version_info >= ...:``: imports there are not needed at run."""
    names = {getattr(n, "id", None) or getattr(n, "attr", None) for n in ast.walk(node.test)}
    return bool(names & {"TYPE_CHECKING", "version_info", "PY2", "PY3", "PY37", "PY38"})


def _tree_facts(tree: ast.Module, text: str, info: SourceInfo) -> None:
    """Imports (optional ones apart) and version floors, visiting statements only.

    Expressions are walked only when the text hints at an expression-level feature: walking every
    node of every file is what made large projects slow.
    """
    found: dict[str, Marker] = {}

    def note(version: str, line: int, what: str) -> None:
        if version not in found or line < found[version].line:
            found[version] = Marker(line, what)

    stack: list[tuple[list[ast.stmt], bool]] = [(tree.body, False)]
    while stack:
        body, optional = stack.pop()
        for node in body:
            line = node.lineno
            if isinstance(node, ast.Import):
                names = [(alias.name, line) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [(node.module, line)]
                names += [(f"{node.module}.{a.name}", line) for a in node.names if a.name != "*"]
            else:
                names = []
            if names:
                (info.optional_imports if optional else info.imports).extend(names)
                if not optional:
                    for name, _ in names:
                        for module, version in _STDLIB_FLOORS.items():
                            if name == module or name.startswith(module + "."):
                                note(version, line, f"import {module}")
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.args.posonlyargs:
                    note("3.8", line, "positional-only parameters (/)")
                if getattr(node, "type_params", None):
                    note("3.12", line, "type parameters (def f[T])")
            elif isinstance(node, ast.ClassDef) and getattr(node, "type_params", None):
                note("3.12", line, "type parameters (class C[T])")
            kind = type(node).__name__
            if kind == "Match":
                note("3.10", line, "match statement")
                stack += [(case.body, optional) for case in node.cases]  # type: ignore[attr-defined]
            elif kind == "TryStar":
                handlers = getattr(node, "handlers", None) or [node]
                note("3.11", handlers[0].lineno, "except* (exception groups)")
            elif kind == "TypeAlias":
                note("3.12", line, "type statement")
            if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                guarded = optional or _guards_imports(node)  # the fallbacks are alternatives too
                stack.append((node.body, guarded))
                stack += [(h.body, guarded) for h in node.handlers]
                stack += [(node.orelse, optional), (node.finalbody, optional)]
            elif isinstance(node, ast.If):
                guarded = optional or _conditional(node)
                stack += [(node.body, guarded), (node.orelse, guarded)]
            else:
                for attr in ("body", "orelse", "finalbody"):
                    inner = getattr(node, attr, None)
                    if isinstance(inner, list):
                        stack.append((inner, optional))
    fstring = _first_f_string(text)
    if fstring >= 0:
        note("3.6", text.count("\n", 0, fstring) + 1, "f-string")
    hinted = _line_numbers(
        text,
        [
            m.start()
            for literal, hint in _EXPRESSION_HINTS
            if literal in text
            for m in hint.finditer(text)
        ],
    )
    if hinted:
        for node in _walk_lines(tree, hinted):
            if isinstance(node, ast.NamedExpr):
                note("3.8", node.lineno, "the walrus operator :=")
            elif isinstance(node, ast.Lambda) and node.args.posonlyargs:
                note("3.8", node.lineno, "positional-only parameters (/)")
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                if any(_is_dict(side) for side in (node.left, node.right)):
                    note("3.9", node.lineno, "dict union (|)")
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitOr):
                if _is_dict(node.value):
                    note("3.9", node.lineno, "dict union (|=)")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                version = _METHOD_FLOORS.get(node.func.attr)
                if version and not node.keywords and len(node.args) == 1:
                    note(version, node.lineno, f"str.{node.func.attr}()")
    info.floors = sorted(found.items(), key=lambda item: version_key(item[0]))


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    """The distinct line numbers of ``positions``, counting each stretch of text once."""
    lines: set[int] = set()
    line, counted = 1, 0
    for at in sorted(positions):
        line += text.count("\n", counted, at)
        counted = at
        lines.add(line)
    return sorted(lines)


def _walk_lines(tree: ast.AST, lines: list[int]) -> Iterator[ast.AST]:
    """ast.walk, pruned to the nodes whose lines hold a hint: the rest of a large file is skipped."""
    stack = [tree]
    while stack:
        node = stack.pop()
        start = getattr(node, "lineno", None)
        if start is not None:
            end = getattr(node, "end_lineno", None) or start
            index = bisect.bisect_left(lines, start)
            if index == len(lines) or lines[index] > end:
                continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_dict(node: ast.AST) -> bool:
    if isinstance(node, (ast.Dict, ast.DictComp)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"


# --- both languages: the token stream -----------------------------------------------------------

_SKIP = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}


def _statements(tokens: list[tokenize.TokenInfo]) -> list[list[tokenize.TokenInfo]]:
    """Simple statements: logical lines split at ';' and after a compound statement's ':'."""
    out: list[list[tokenize.TokenInfo]] = []
    current: list[tokenize.TokenInfo] = []
    depth = 0
    for tok in tokens:
        if tok.type in _SKIP:
            continue
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if current:
                out.append(current)
            current, depth = [], 0
            continue
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth = max(0, depth - 1)
        if depth == 0 and tok.type == tokenize.OP and tok.string == ";":
            if current:
                out.append(current)
            current = []
            continue
        current.append(tok)
        if (
            depth == 0
            and tok.type == tokenize.OP
            and tok.string == ":"
            and current[0].string in _COMPOUND
            and not any(t.string == "lambda" for t in current)
        ):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _depth0_comma(statement: list[tokenize.TokenInfo]) -> bool:
    depth = 0
    for tok in statement[1:]:
        if tok.string in ("(", "[", "{"):
            depth += 1
        elif tok.string in (")", "]", "}"):
            depth -= 1
        elif tok.string == ":" and depth == 0:
            return False
        elif tok.string == "," and depth == 0:
            return True
    return False


def _py2_tokens(tokens: list[tokenize.TokenInfo]) -> list[Marker]:
    found: list[Marker] = []
    for statement in _statements(tokens):
        first = statement[0]
        line = first.start[0]
        nxt = statement[1] if len(statement) > 1 else None
        if first.string == "print" and first.type == tokenize.NAME and nxt is not None:
            if not (nxt.type == tokenize.OP and nxt.string in _NOT_PRINT_ARG):
                found.append(Marker(line, "print statement"))
        elif (
            first.string == "exec"
            and nxt is not None
            and nxt.type
            in (
                tokenize.NAME,
                tokenize.STRING,
            )
        ):
            found.append(Marker(line, "exec statement"))
        elif first.string == "except" and _depth0_comma(statement):
            found.append(Marker(line, "except E, e:"))
        elif first.string == "raise" and _depth0_comma(statement):
            found.append(Marker(line, "raise E, message"))
    previous: tokenize.TokenInfo | None = None
    for tok in tokens:
        line = tok.start[0]
        if tok.string == "`":
            found.append(Marker(line, "backticks"))
        elif (
            tok.type == tokenize.NUMBER
            and previous is not None
            and previous.type == tokenize.NUMBER
            and previous.string == "0"
            and previous.end == tok.start
            and tok.string.isdigit()
        ):
            found.append(Marker(line, f"octal literal 0{tok.string}"))
        elif tok.type == tokenize.NUMBER and re.fullmatch(r"0[0-7]*[1-7][0-7]*[lL]?", tok.string):
            found.append(Marker(line, f"octal literal {tok.string}"))  # one token from 3.12 on
        elif (
            tok.type == tokenize.NAME
            and tok.string in ("L", "l")
            and previous is not None
            and previous.type == tokenize.NUMBER
            and previous.end == tok.start
        ):
            found.append(Marker(line, f"long literal {previous.string}{tok.string}"))
        elif (
            tok.type == tokenize.STRING
            and previous is not None
            and previous.type == tokenize.NAME
            and previous.string.lower() == "ur"
            and previous.end == tok.start
        ):
            found.append(Marker(line, "ur'' string"))
        elif (
            tok.string == ">"
            and previous is not None
            and previous.string == "<"
            and previous.end == tok.start
        ):
            found.append(Marker(line, "<> operator"))
        previous = tok
    unique = {(m.line, m.what): m for m in found}
    return sorted(unique.values(), key=lambda m: m.line)


def _token_floors(tokens: list[tokenize.TokenInfo]) -> list[tuple[str, Marker]]:
    """Syntax newer than the host's parser, seen in the token stream."""
    found: dict[str, Marker] = {}
    for statement in _statements(tokens):
        first = statement[0]
        words = [t.string for t in statement[:3]]
        line = first.start[0]
        if (
            words[0] == "type"
            and len(statement) > 2
            and statement[1].type == tokenize.NAME
            and words[2] in ("=", "[")
        ):
            found.setdefault("3.12", Marker(line, "type statement"))
        elif words[0] == "except" and len(words) > 1 and words[1] == "*":
            found.setdefault("3.11", Marker(line, "except* (exception groups)"))
        elif (
            words[0] == "match"
            and len(statement) > 2
            and statement[-1].string == ":"
            and statement[1].string not in ("=", ".", "(")
        ):
            found.setdefault("3.10", Marker(line, "match statement"))
        elif words[0] in ("def", "class") and len(words) > 2 and words[2] == "[":
            found.setdefault("3.12", Marker(line, f"type parameters ({words[0]} {words[1]}[T])"))
    return sorted(found.items(), key=lambda item: version_key(item[0]))


def _dotted(statement: list[tokenize.TokenInfo], start: int) -> tuple[str, int]:
    parts: list[str] = []
    index = start
    while index < len(statement):
        tok = statement[index]
        if tok.type == tokenize.NAME and (not parts or parts[-1] == "."):
            parts.append(tok.string)
        elif tok.string == "." and parts and parts[-1] != ".":
            parts.append(".")
        else:
            break
        index += 1
    return "".join(parts).rstrip("."), index


def _imports(tokens: list[tokenize.TokenInfo]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for statement in _statements(tokens):
        first = statement[0]
        line = first.start[0]
        if first.string == "import" and first.type == tokenize.NAME:
            index = 1
            while index < len(statement):
                name, index = _dotted(statement, index)
                if name:
                    out.append((name, line))
                while index < len(statement) and statement[index].string != ",":
                    index += 1
                index += 1
        elif first.string == "from" and len(statement) > 2 and statement[1].type == tokenize.NAME:
            module, index = _dotted(statement, 1)
            if not module or index >= len(statement) or statement[index].string != "import":
                continue
            out.append((module, line))
            expect_name = True
            for tok in statement[index + 1 :]:
                if tok.type == tokenize.NAME and expect_name and tok.string != "as":
                    out.append((f"{module}.{tok.string}", line))
                    expect_name = False
                elif tok.string == ",":
                    expect_name = True
    return out


# --- the last resort: line patterns -----------------------------------------------------------

_PY2_LINES = (
    (re.compile(r"^\s*print\s+[^\s(=.,;)\[:][^\n]*$"), "print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "except E, e:"),
    (re.compile(r"^\s*exec\s+[\w\"']"), "exec statement"),
    (re.compile(r"(?<![\w.])0[0-7]+\b(?![.eEjJxXoObB])"), "octal literal"),
)
_IMPORT_LINE = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import)")


def _py2_lines(text: str) -> list[Marker]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        for pattern, what in _PY2_LINES:
            if pattern.search(code):
                found.append(Marker(number, what))
                break
    return found


def _line_imports(text: str) -> list[tuple[str, int]]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _IMPORT_LINE.match(line)
        if match and match.group(1):
            out += [(n.strip(), number) for n in match.group(1).split(",")]
        elif match and match.group(2):
            out.append((match.group(2), number))
    return out
