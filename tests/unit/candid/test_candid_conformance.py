"""The official Candid conformance files, through the runner and its command line."""

import pathlib
import subprocess
import sys

import pytest

from ic.candid.testsuite import main, run_file

DATA = pathlib.Path(__file__).parents[2] / "data" / "candid"
ROOT = pathlib.Path(__file__).parents[3]
FILES = ["prim.test.did", "construct.test.did"]
MORE = {"overshoot.test.did": 10, "reference.test.did": 50, "spacebomb.test.did": 17,
        "subtypes.test.did": 58}


@pytest.mark.parametrize("name, count", [("prim.test.did", 168), ("construct.test.did", 164), *MORE.items()])
def test_every_assertion_passes(name, count):
    outcomes = run_file(str(DATA / name))
    failures = [f"{o.assertion.line}: {o.assertion.desc}: {o.why}" for o in outcomes if not o.ok]
    assert len(outcomes) == count
    assert failures == []


def test_cli_reports_totals_and_exit_status():
    proc = subprocess.run([sys.executable, "-m", "ic.candid.testsuite", *(str(DATA / f) for f in FILES)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "332 passed, 0 failed"


def test_runner_is_generic_and_reports_failures(tmp_path, capsys):
    f = tmp_path / "mine.test.did"
    f.write_text('type T = record { a : nat };\n'
                 'assert blob "DIDL\\00\\01\\7d\\05" == "(5)" : (nat) "ok";\n'
                 'assert blob "DIDL\\00\\01\\7d\\05" : (text) "wrong on purpose";\n'
                 'assert "(record { a = 1 })" != "(record { a = 2 })" : (T);\n'
                 'assert "(1)" !: (nat) "also wrong";\n')
    assert main([str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "2 passed, 2 failed"
    assert out[0].startswith(f"{f}:3: wrong on purpose: input rejected: byte 7: a value of type nat")
    assert out[1] == f"{f}:5: also wrong: expected rejection, but decoded to [1]"


def test_unreadable_file_counts_as_failure(tmp_path, capsys):
    f = tmp_path / "bad.test.did"
    f.write_text("assert blob 12 : ();")
    assert main([str(f)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "cannot run" in out[0] and "1:13: expected text" in out[0]
    assert out[-1] == "0 passed, 1 failed"
