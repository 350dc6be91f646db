"""The Studio's queue line from the generation service (no Ray here: the widget side only).

Kept apart from tests/test_service.py: a PromptStudio starts warm-up threads (numpy at full speed) that
must not run in the process that then starts a Ray cluster.
"""

from __future__ import annotations

import time


def test_the_studio_shows_the_queue_line_and_then_the_steps(store, test_engines):
    from sora_widgets.social.accounts import sign_up
    from sora_widgets.widgets import PromptStudio
    from sora_widgets.widgets._worker import BackgroundJob

    sign_up(store, "ana", birthdate="1990-01-01")
    studio = PromptStudio(store, "ana")
    job = BackgroundJob(lambda on_progress, cancel: None, on_progress=studio._on_progress)
    job._t0 = time.perf_counter()
    job._progress(0, 0, None, label="queued: 3rd in line")  # what the service's client sends while waiting
    assert studio.progress_label.value == "queued: 3rd in line"
    time.sleep(0.06)
    job._progress(1, 4, None)
    assert studio.progress_label.value.startswith("step 1/4")
