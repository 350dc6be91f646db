"""Background threads that run native code finish before the interpreter exits (sora_widgets._threads).

A daemon thread inside C++ (CTranslate2's Whisper, DuckDB, ONNX Runtime) when the interpreter
finalises is ended by ``pthread_exit`` through C++ frames, which aborts the process with exit code 134
after every test passed. These tests exit a real interpreter while such work runs.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


def test_the_interpreter_waits_for_background_work_at_exit(tmp_path):
    done = tmp_path / "done.txt"
    r = _run(f"""
        import time
        from sora_widgets._threads import start_background

        def work():
            time.sleep(1.5)
            open({str(done)!r}, "w").write("finished")

        start_background(work, name="test-work")
        # the main thread ends at once
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert done.read_text() == "finished"
