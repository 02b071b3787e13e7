"""`classify IMAGE`: profile one picture and print the Audience JSON with the call's latency.

How an integrator tests a provider and a prompt. The image is read into memory and goes to
the model only when the privacy mode allows it (`--privacy full`, or settings say full).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cxkiosk.commands.common import UsageError, add_provider_args, add_sensing_args, context, fail
from cxkiosk.config import Privacy

log = logging.getLogger("cxkiosk.model")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("classify", parents=[common], help="profile the people in one image (Audience JSON)")
    p.add_argument("image", metavar="IMAGE", help="a photo (jpg, png...) or a thermal heatmap image")
    add_sensing_args(p)
    add_provider_args(p)
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds for the model call (default: settings)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxkiosk.sensing.sources.images import read_picture

    path = Path(args.image)
    if not path.is_file():
        raise UsageError(f"image not found: {path}")
    image = read_picture(path)
    if image is None:
        raise UsageError(f"not a readable image (or over {os.environ['OPENCV_IO_MAX_IMAGE_PIXELS']} "
                         f"pixels): {path}")
    ctx = context(args)
    settings = ctx.settings
    if args.timeout is not None:
        from cxkiosk.config import problem

        if reason := problem("model_timeout", args.timeout):
            raise UsageError(f"--timeout: {reason.removeprefix('model_timeout ')}")
        settings.model_timeout = args.timeout
    source = "thermal" if (args.source or "").startswith("thermal") else "camera"
    if args.privacy is None and settings.privacy in ("local", "off"):
        print(f"cxkiosk: privacy is {settings.privacy!r} in settings, so the image stays here; "
              "pass --privacy full to send it to the model", file=sys.stderr)
        settings.privacy = "local"
    if not Privacy.of(settings).may_send(source):
        return _local(image, settings)

    from cxkiosk.profiling.client import Classifier

    classifier = Classifier(settings, ctx.paths.data, prompt=_db_prompt(ctx.db_spec))
    if classifier.problem:
        return fail(classifier.problem)
    try:
        result = classifier.classify(image, [], None, source)
    finally:
        classifier.close()
        _close_db()
    if result.used_fallback:
        return fail(f"model call failed: {result.error}", 1)
    out = result.audience.to_dict(settings.sensitive_attributes)
    out.update(provider=result.provider, model=result.model, latency_ms=result.latency_ms,
               server_ms=result.server_ms, bytes_sent=result.bytes_sent, tokens=result.tokens)
    print(json.dumps(out))
    print(f"latency: {result.latency_ms:.0f} ms ({result.provider}, {result.model}, "
          f"{result.bytes_sent / 1024:.1f} kB sent, {result.tokens} tokens)", file=sys.stderr)
    return 0


def _close_db() -> None:
    try:
        from cxkiosk.content import database
    except ImportError:
        return
    database.close_database()


def _local(image: Any, settings: Any) -> int:
    try:
        from cxkiosk.sensing.agegender import profile_locally
        from cxkiosk.sensing.faces import FaceDetector

        detector = FaceDetector(settings.face_min_px, settings.face_threshold, settings.facing_degrees)
    except (ImportError, RuntimeError) as exc:
        return fail(f"local profiling is not available: {exc}", 1)
    audience = profile_locally(image, detector)
    print(json.dumps(audience.to_dict()))
    return 0


def _db_prompt(db_spec: str) -> Callable[[str], str] | None:
    """The operator's active prompt from the database, opened read-only (classify never writes);
    None (the shipped defaults) when there is no readable database."""
    try:
        from cxkiosk.content import database, prompt_store

        database.open_database(db_spec, readonly=True, check=False)
    except Exception as exc:  # no database yet, locked, another schema: the defaults still work
        log.info("prompts from the defaults (database not readable: %s)", exc)
        return None
    return prompt_store.active_prompt
