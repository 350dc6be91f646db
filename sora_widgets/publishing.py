"""The one path from a prompt to a stored clip, used by every widget and notebook.

- :func:`generate_checked` (also called ``create_clip``) screens the prompt before
  any engine sees it, then generates; nothing is saved.
- :func:`prescreen` checks the finished clip (its real frames and sound) in
  advance, e.g. on a background thread while the user watches it; the verdict is
  kept by the moderation service under the clip's content hash.
- :func:`publish` saves the clip with its recipe after output moderation (the
  pre-screened verdict when the clip is unchanged, else a check now), holds it
  for review when moderation asks, and links the cameo uses it carries.

A widget calls these; it never calls ``store.save_clip`` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .engines import generate
from .engines.generation import validate_prompt
from .media import Clip
from .store import Store, new_id, normalise_handle

__all__ = ["Blocked", "PublishResult", "create_clip", "generate_checked", "prescreen", "publish"]


class Blocked(PermissionError):
    """Moderation refused a prompt or a clip; ``verdict`` holds the reasons."""

    def __init__(self, message: str, verdict: Any = None):
        super().__init__(message)
        self.verdict = verdict


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` did.

    clip_id : the saved clip's id. status : "published", "draft" or "held" (waiting for a reviewer).
    message : one line for the user. verdict : the output-moderation verdict used.
    case_id : the review case opened when the clip is held, else None.
    """

    clip_id: str
    status: str  # published | draft | held
    message: str
    verdict: Any = None
    case_id: str | None = None


def _moderation():
    from .moderation import service

    return service


def _prescreening():
    from .moderation import prescreen as module

    return module


def _provenance():
    from .provenance import stamp

    return stamp


def generate_checked(
    store: Store,
    prompt: str,
    *,
    user: str,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
    **generate_kwargs: Any,
) -> Clip:
    """Screen ``prompt`` for ``user``, then generate the clip. Nothing is saved (see :func:`publish`).

    A blocked prompt never reaches an engine; every prompt verdict is recorded in the store.

    Args:
        store (`Store`): where the prompt verdict is recorded (``moderation_verdicts`` + audit log).
        prompt (`str`): what happens in the clip, e.g. ``"a red ball bounces on a wooden floor"``.
        user (`str`): the creator's handle (normalised: ``"@Ana"`` is ``"ana"``); recorded as
            ``clip.meta["author"]``. Pass :func:`sora_widgets.session.current_user` in a dashboard.
        on_progress (`Callable[[int, int, np.ndarray | None], None]`, *optional*):
            ``f(step, total, preview_frame_or_None)`` from the engine, as for :func:`sora_widgets.generate`.
        cancel (`threading.Event`, *optional*): set it to stop between steps;
            :class:`~sora_widgets.engines.Cancelled` is raised.
        **generate_kwargs: every other argument of :func:`sora_widgets.generate` (``engine="sim"``, ``seed``,
            ``duration`` in seconds (default 4.0), ``fps`` (default 24), ``width``/``height`` in pixels
            (default 256), ``negative_prompt``, ``steps``, ``guidance``, ``cameos``, ``image`` (a start picture,
            checked by the image moderation first: a blocked picture raises ``Blocked``), engine options);
            their limits are :func:`sora_widgets.engines.engine_options`.

    Returns:
        `Clip`: the generated clip, with ``meta["author"]`` and ``meta["prompt_verdict"]`` set, carrying
        ``user``'s visible and invisible marks (``meta["provenance"]``; drafts too: docs/provenance.md).

    Raises:
        Blocked: the prompt breaks the content policy (``exc.verdict`` holds the reasons).
        ValueError: an argument is out of its engine's range.
        CameoError: the prompt names ``@someone`` and there is no such cameo.
        PermissionError: the prompt names a cameo whose owner does not let ``user`` use it.
    """
    user = normalise_handle(user)
    validate_prompt(prompt)  # text moderation can read: no NUL, no lone surrogate (issue 13 item 12)
    verdict = _moderation().screen_prompt(store, user, prompt)
    if verdict.decision == "block":
        raise Blocked(f"this prompt can't be used: {'; '.join(verdict.reasons) or 'it breaks the content policy'}", verdict)
    # "@name" in the prompt: the cameo, if its owner lets this user use it (the use is recorded), else a
    # clear refusal before anything is generated (cameo.directory; cameos passed explicitly are kept).
    from .cameo.directory import mentions, resolve_mentions

    given = list(generate_kwargs.pop("cameos", None) or [])
    named = {str(getattr(a, "name", "")).lstrip("@").lower() for a in given}
    missing = [n for n in mentions(prompt) if n not in named]
    if missing:
        given += resolve_mentions(store, " ".join(f"@{n}" for n in missing), user=user)
    if given:
        generate_kwargs["cameos"] = given
    picture_verdict = _screen_picture(store, user, generate_kwargs.get("image"))
    clip = generate(prompt, on_progress=on_progress, cancel=cancel, **generate_kwargs)
    clip.meta["author"] = user
    clip.meta["prompt_verdict"] = verdict.decision
    if picture_verdict is not None:
        clip.meta["picture_verdict"] = picture_verdict.decision
        # kept (owner-only, content-addressed) so a remix or a regenerate starts from the same picture
        from .pictures import store_picture

        clip.meta["picture_media"] = store_picture(store, generate_kwargs["image"])
    # Marked before anyone sees or checks it: the player, the pre-screen and the store share one marked encode.
    _provenance().ensure_marked(clip, creator=user)
    return clip


def _screen_picture(store: Store, user: str, image: Any) -> Any:
    """A start picture (``image=``) goes through the image check the clips' frames get (``moderation.visual``),
    its verdict recorded like a prompt's; a blocked picture never reaches an engine (a doubtful one may: the
    clip made from it is pre-screened before anyone sees it). None when there is no picture."""
    if image is None:
        return None
    from .moderation.service import record_verdict
    from .moderation.visual import check_frames
    from .pictures import check_picture, picture_sha256

    image = check_picture(image)
    verdict = check_frames(image[None], 1.0)
    record_verdict(store, verdict, target_kind="picture", target_id=picture_sha256(image), user=user)
    if verdict.decision == "block":
        raise Blocked(f"this picture can't be used: {'; '.join(verdict.reasons) or 'it breaks the content policy'}",
                      verdict)
    return verdict


#: The earlier name of :func:`generate_checked` (it creates a clip but does not save it).
create_clip = generate_checked


def prescreen(
    store: Store,
    clip: Clip,
    *,
    user: str,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
):
    """Run output moderation on ``clip`` now, so a later :func:`publish` of the same clip only saves.

    The verdict is computed and kept by the moderation service
    (:mod:`sora_widgets.moderation.prescreen`) under the clip's content hash
    (SHA-256 of ``clip.encoded()``), ``user``, the store and the policy version:
    a changed clip, another user or a new policy is checked again. Calling it
    twice for the same clip runs the check once.

    Args:
        store (`Store`): where the verdict is recorded.
        clip (`Clip`): a generated clip (encoded here if no player has encoded it yet).
        user (`str`): the creator who will publish it.
        on_progress (`Callable[[int, int], None]`, *optional*): ``f(checks_done, checks_total)``.
        cancel (`threading.Event`, *optional*): set it to stop (e.g. the user generated again);
            :class:`~sora_widgets.engines.Cancelled` is raised and nothing is kept.

    Returns:
        `Verdict`: ``decision`` "allow", "review" or "block", with ``reasons`` and ``evidence``.
    """
    user = normalise_handle(user)
    _provenance().ensure_marked(clip, creator=user)  # the verdict binds to the marked bytes publish saves
    return _prescreening().prescreen(store, clip, user=user, on_progress=on_progress, cancel=cancel)


def publish(
    store: Store,
    clip: Clip,
    *,
    user: str,
    status: str = "published",
    parent_id: str | None = None,
    operation: str = "remix",
    edit: dict | None = None,
    reuses_material: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> PublishResult:
    """Check and save ``clip`` as ``user``'s, as "published" or "draft".

    Output moderation runs on every save, drafts included. When the clip was
    pre-screened (:func:`prescreen`, which the Studio starts as soon as a clip is
    generated) and is unchanged, that verdict is used and publishing only saves
    (about 0.1 s for a 4 s 256 px clip); if the check is still running, this waits
    for it. A clip moderation holds is saved as "held" (visible to its author and
    reviewers) and a review case is opened; a blocked clip is not saved. Cameo uses
    recorded in the recipe are linked to the saved clip, in the same transaction.

    Args:
        store (`Store`): where the clip, its MP4 (``clip.encoded()``, not encoded again, with a signed C2PA
            manifest embedded), thumbnail, recipe, verdict and provenance registry row go.
        clip (`Clip`): the clip, normally from :func:`generate_checked` or :func:`sora_widgets.remix.remix_clip`
            (already marked); a clip without our marks is marked first, in place (docs/provenance.md).
        user (`str`): the author's handle; the account must exist (``KeyError``/``NotFound`` otherwise).
        status (`str`, *optional*, defaults to `"published"`): ``"published"`` (everyone may see it)
            or ``"draft"`` (only its author).
        parent_id (`str`, *optional*): the clip this one remixes; a remix edge is recorded.
        operation (`str`, *optional*, defaults to `"remix"`): the edge's kind (``"remix"``, ``"v2v"``).
        edit (`dict`, *optional*): what the remix changed (prompt, changes, engine), stored on the edge.
        reuses_material (`bool`, *optional*, defaults to `True`): whether the remix carries the parent's
            pictures or sound (then taking the parent down hides it).
        on_progress (`Callable[[int, int], None]`, *optional*): ``f(checks_done, checks_total)`` while the
            output check runs (not called when a pre-screened verdict is ready).
        cancel (`threading.Event`, *optional*): set it to stop during the check; nothing is saved.

    Returns:
        `PublishResult`: ``clip_id``, ``status`` ("published", "draft" or "held"), ``message``,
        ``verdict``, ``case_id``.

    Raises:
        Blocked: moderation refused the clip (nothing saved).
        ValueError: ``status`` is not "published" or "draft".
        PermissionError: a cameo in the recipe, or one of the store's cameos that the clip's pixels show
            (``cameo.pixel_check``; not ``user``'s own), is not allowed for ``user`` or carries no recorded
            ``cameo.use`` (nothing saved).
    """
    if status not in ("published", "draft"):
        raise ValueError(f"status must be 'published' or 'draft'; got {status!r}")
    user = normalise_handle(user)
    store.get_user(user)  # raises NotFound with a readable message
    mod = _moderation()
    prov = _provenance()
    prov.ensure_marked(clip, creator=user)  # an unmarked clip is marked before its check (issue 16)
    verdict = _prescreening().verdict_for_publish(store, clip, user=user, on_progress=on_progress, cancel=cancel)
    if verdict.decision == "block":
        raise Blocked(f"this clip can't be saved: {'; '.join(verdict.reasons) or 'it breaks the content policy'}", verdict)
    final = "held" if verdict.decision == "review" else status
    # Every cameo asset the recipe carries, ids or None (an asset that never came from cameo.use: link_uses refuses it).
    cameo_ids = list((clip.meta.get("recipe") or {}).get("cameo_ids") or [])
    # ... and every other stored cameo its pixels show (issue 13 item 5): a pasted cut-out or a recipe stripped of
    # its ids needs a recorded use too, which link_uses checks; `seen` says where, for its refusal.
    from .cameo.pixel_check import cameos_in_pixels

    seen = {s.cameo_id: s.describe() for s in cameos_in_pixels(store, clip.frames, user=user, skip=cameo_ids)}
    cameo_ids += list(seen)
    # The encoded bytes signed with a C2PA manifest (no re-encode), before the lock is taken.
    sealed = prov.seal(store, clip, clip_id=new_id("c"), parent_id=parent_id)
    # One transaction: a refused cameo or a failed hold leaves no clip behind.
    with store.transaction() as con:
        if parent_id is not None:  # a remix links only to a clip its author may see (someone's draft: refused)
            from .access import require_view

            require_view(store, parent_id, user)
        clip_id = store.save_clip(
            clip, owner=user, parent_id=parent_id, status=final, operation=operation,
            edit=edit, reuses_material=reuses_material, clip_id=sealed.clip_id, encoded=sealed.mp4,
        )
        prov.register(con, sealed)  # the provenance registry row, with the clip or not at all
        if parent_id is not None and final == "published":
            from .social.graph import record_remix

            record_remix(store, parent_id, clip_id=clip_id, author=user, con=con)
        if cameo_ids:
            from .cameo import consent

            consent.link_uses(store, clip_id=clip_id, user=user, cameo_ids=cameo_ids, seen=seen)
        case_id = (
            mod.hold_for_review(store, clip_id, verdict, user=user, requested_status=status)
            if final == "held"
            # words the recogniser was unsure of: the clip stays up and a person is asked to listen
            else mod.raise_for_review(store, clip_id, verdict, user=user, requested_status=status)
        )
    if final == "held":
        message = f"saved as {clip_id}, held for review: {'; '.join(verdict.reasons)}"
    else:
        message = f"{'published' if final == 'published' else 'saved as draft'}: {clip_id}"
        if case_id is not None:
            message += " (a reviewer will listen to words in its soundtrack that could not be heard clearly)"
    return PublishResult(clip_id, final, message, verdict, case_id)
