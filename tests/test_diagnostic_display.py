"""How diagnostics read: bounded excerpts and messages, line ends, caret columns, advice that fits."""

import json

import pytest
from click.testing import CliRunner

from planact.check import lint_text
from planact.cli import main
from planact.syntax.diagnostics import MAX_NAME, Diagnostic, cell_width, clip_message, excerpt, render


def rendered(text: str, path: str = "x.pa") -> tuple[list[Diagnostic], str]:
    _, diagnostics = lint_text(text, path)
    return diagnostics, "\n\n".join(render(d, text) for d in diagnostics)


def display_column(line: str, column: int) -> int:
    return sum(cell_width(c) for c in line[: column - 1])


def test_deep_parentheses_give_a_short_excerpt_with_the_caret_on_the_span():
    text = 'plan "x"\nstep a "x" if ' + "(" * 50_000 + "true" + ")" * 50_000 + "\n"
    diagnostics, out = rendered(text)
    assert [d.code for d in diagnostics] == ["PA105"]
    lines = out.split("\n")
    assert max(map(len, lines)) <= 200, [len(line) for line in lines]
    source, caret = lines[2], lines[3]
    assert source.startswith("2 | …") and source.endswith("…")
    first = caret.index("^")
    assert source[first] == "("  # the caret is under the span's first character
    assert caret.rstrip().endswith("^ error") and caret.count("^") <= 120


def test_a_huge_name_is_shortened_in_the_message_and_the_excerpt():
    field = "z" * 200_000
    text = f'plan "x"\ninput r: record {{a: text}}\nstep b "B {{r.{field}}}"\n'
    diagnostics, out = rendered(text)
    assert [d.code for d in diagnostics] == ["PA207"]
    assert len(diagnostics[0].message) <= 200
    assert f"no field `{'z' * (MAX_NAME - 1)}…`" in diagnostics[0].message
    assert max(map(len, out.split("\n"))) <= 200


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("short `name` stays", "short `name` stays"),
        (f"`{'a' * 100}` and `b`", f"`{'a' * (MAX_NAME - 1)}…` and `b`"),
        # an odd backtick: the text after it is not a name, only the whole message is cut
        (f"`x` then ` {'c' * 300}", f"`x` then ` {'c' * 188}…"),
    ],
)
def test_clip_message_cuts_names_then_the_whole(message, expected):
    assert clip_message(message) == expected
    assert len(clip_message(message)) <= 200


def test_every_diagnostic_message_and_help_are_bounded():
    d = Diagnostic(code="PA100", message="m" * 10_000, help="h" * 10_000)
    assert len(d.message) == 200 and d.message.endswith("…")
    assert len(d.help) == 300 and d.help.endswith("…")


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["CR", "CRLF", "LF"])
def test_every_line_end_counts_as_one(newline):
    text = newline.join(['plan "x"', "", 'step a "A"', 'step b "B" after nowhere  # noqa: PA405', ""])
    diagnostics, out = rendered(text)
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("PA203", 4, 18)]
    assert '4 | step b "B" after nowhere  # noqa: PA405\n  |                  ^^^^^^^ error' in out
    text = newline.join(['plan "x"', "input a: text  # noqa: PA405", ""])
    assert lint_text(text)[1] == []  # noqa comments are found on the right line


def test_a_lone_cr_inside_a_string_ends_the_line():
    diagnostics, _ = rendered('plan "x\r"\r')
    assert [d.message for d in diagnostics] == ["unterminated string"]


@pytest.mark.parametrize(
    "intent",
    ["日本語の説明", "🛒🛒 cart", "cafe\u0301 e\u0301le\u0301ve", "mixed 中文 and 😀 e\u0301"],
    ids=["cjk", "emoji", "combining", "mixed"],
)
def test_the_caret_lines_up_under_wide_and_combining_characters(intent):
    text = f'plan "x"\nstep a "{intent}" after nowhere\n'
    diagnostics, out = rendered(text)
    (d,) = diagnostics
    line = text.split("\n")[1]
    assert line[d.span.column - 1 :].startswith("nowhere")  # the reported column counts characters
    caret = out.split("\n")[3]
    assert caret.index("^") - len("  | ") == display_column(line, d.span.column)
    assert caret.count("^") == 7


def test_excerpt_of_a_long_line_of_wide_characters_fits_the_width():
    line = "字" * 500 + "X" + "字" * 500
    shown, caret = excerpt(line, 501, 502, width=120)
    assert sum(cell_width(c) for c in shown) <= 120
    assert caret == " " * sum(cell_width(c) for c in shown[: shown.index("X")]) + "^"


def test_an_over_indented_action_is_called_that_not_a_missing_colon():
    text = 'plan "x"\nstep s "S":\n    click button "A"\n\n    # a note\n        click button "B"\n'
    (d,), _ = rendered(text)
    assert (d.code, d.span.line) == ("PA100", 6)
    assert "indented deeper than the action before it" in d.message
    assert ":" not in d.help.split("(")[0] and "same amount" in d.help


@pytest.mark.parametrize(
    ("lines", "advice"),
    [
        (['step s "S"', "    back"], "end the step line with `:`"),
        (["input q: text", "    back"], "only actions are indented"),
        (['define step p() "P"', "step s: p()", "    back"], "has no action block"),
    ],
)
def test_an_indented_line_where_no_block_opens_gets_advice_for_the_line_before(lines, advice):
    (d,), _ = rendered('plan "x"\n' + "\n".join(lines) + "\n")
    assert d.code == "PA100" and d.span.line == len(lines) + 1
    assert advice in d.message + " " + d.help


def test_an_unprintable_character_is_named():
    (d,), _ = rendered('plan "x"\x0cstep\n')
    assert d.message.startswith("unexpected character U+000C")


def run(*args):
    return CliRunner().invoke(main, ["lint", "--no-color", *args])


def test_lint_a_folder_lints_every_plan_under_it_in_sorted_order(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a.pa").write_text('plan "a"\nstep s "S" after nowhere\n')
    (tmp_path / "b" / "deep" / "c.pa").write_text('plan "c"\nstep s "S" after nowhere\n')
    (tmp_path / "b" / "b.pa").write_text('plan "b"\nstep s "S"\n')
    (tmp_path / "b" / "notes.txt").write_text("not a plan")
    result = run(str(tmp_path))
    assert result.exit_code == 1
    located = [line.split(": PA")[0] for line in result.output.splitlines() if ": PA" in line]
    assert located == [f"{tmp_path / 'a.pa'}:2:18", f"{tmp_path / 'b' / 'deep' / 'c.pa'}:2:18"]
    assert result.output.rstrip().endswith("Found 2 errors and 0 warnings in 3 files.")
    result = CliRunner().invoke(main, ["lint", "--format", "json", str(tmp_path / "b")])
    assert [d["path"] for d in json.loads(result.stdout)] == [str(tmp_path / "b" / "deep" / "c.pa")]


def test_lint_a_folder_without_plans_is_pa000(tmp_path):
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path}:1:1: PA000 no plan file (*.pa) in this folder" in result.output
    explained = CliRunner().invoke(main, ["lint", "--explain", "PA000"]).output
    assert "folder" in explained


def test_diff_that_fails_exits_2_not_1(tmp_path, monkeypatch):
    import planact.graph

    old, new = tmp_path / "old.pa", tmp_path / "new.pa"
    old.write_text('plan "x"\nstep a "A"\n')
    new.write_text('plan "x"\nstep b "B"\n')

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(planact.graph, "diff_plans", broken)
    result = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert result.exit_code == 2 and "boom" in result.output
