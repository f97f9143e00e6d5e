"""Dates and times as people write them fill date and time fields, in real Chromium and as values."""

import json
from pathlib import Path

import pytest
from test_exec_e2e import HAVE_BROWSER, run, tiny_site

from planact.browser.dates import field_value


@pytest.mark.parametrize(
    ("kind", "said", "value"),
    [
        ("date", "01/28/2011", "2011-01-28"), ("date", "1/5/2016", "2016-01-05"), ("date", "2011-01-28", "2011-01-28"),
        ("date", "January 28, 2011", "2011-01-28"), ("date", "28 Jan 2011", "2011-01-28"), ("date", "2011/1/28", "2011-01-28"),
        ("time", "6:09 AM", "06:09"), ("time", "6:09 pm", "18:09"), ("time", "12:30 a.m.", "00:30"), ("time", "12:05 PM", "12:05"),
        ("time", "18:09", "18:09"), ("time", "7 PM", "19:00"), ("time", "6:09:30 PM", "18:09:30"),
        ("datetime-local", "01/28/2011 6:09 PM", "2011-01-28T18:09"), ("datetime-local", "2011-01-28T18:09", "2011-01-28T18:09"),
        ("month", "03/2016", "2016-03"), ("month", "March 2016", "2016-03"),
    ],
)  # fmt: skip
def test_a_date_or_time_as_written_becomes_the_fields_value(kind, said, value):
    assert field_value(kind, said) == value


@pytest.mark.parametrize(
    ("kind", "said"),
    [("date", "13/28/2011"), ("date", "tomorrow"), ("time", "13:00 PM"), ("time", "25:00"), ("time", "6"),
     ("date", "Smarch 3, 2011"), ("text", "01/28/2011"), ("month", "13/2016")],
)  # fmt: skip
def test_what_is_no_date_or_time_is_left_as_it_is(kind, said):
    assert field_value(kind, said) == said


FORM = """<form><input type="date" id="d" aria-label="Day"><input type="time" id="t" aria-label="Time">
<input type="text" id="x" aria-label="Note"><button type="button" onclick="document.getElementById('out').textContent =
[d.value, t.value, x.value].join('|')">Show</button></form><p id="out"></p>"""


@pytest.mark.skipif(not HAVE_BROWSER, reason="no Chromium: run `planact setup-browser`")
def test_fill_takes_a_date_and_time_as_the_page_shows_them_and_one_it_cannot_read_fails_the_action(tmp_path: Path):
    with tiny_site({"/form": (200, FORM)}) as (home, _):
        plan = tmp_path / "plan.pa"
        header = f'plan "test"\n\nsite home = "{home}"\n\n'
        plan.write_text(
            header
            + 'step fill "Fill the form" -> text:\n    goto home "/form"\n    fill textbox "Day" with "01/28/2011"\n'
            '    fill css "#t" with "6:09 PM"\n    fill textbox "Note" with "01/28/2011"\n    click button "Show"\n'
            '    extract css "#out" as text\n\nstep report "Report":\n    answer fill\n'
        )
        filled = json.loads(run(str(plan), "--runs", str(tmp_path / "runs")).stdout)
        plan.write_text(
            header
            + 'step bad "Fill a date that is none":\n    goto home "/form"\n    fill css "#d" with "31/31/2011"\n'
        )
        bad = json.loads(run(str(plan), "--runs", str(tmp_path / "runs")).stdout)
    assert filled["status"] == "succeeded", filled
    assert filled["answer"] == "2011-01-28|18:09|01/28/2011", filled
    assert bad["status"] == "failed" and bad["failed_step"] == "bad" and "the date field stays empty" in bad["error"], (
        bad
    )
