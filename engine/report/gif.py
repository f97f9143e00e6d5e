"""An animated summary of a run: the screenshot after each step, in the order the steps ran, captioned
with the step's id, status and intent (a GIF, or a WebP when the file name ends in ``.webp``)."""

from __future__ import annotations

from pathlib import Path

from .collect import RunView

CAPTION_H = 50
FRAME_MS = 1400
WIDTH = 640  # frames are scaled to this width (the screenshots are half the viewport by default)
BAR = {"done": (30, 142, 62), "failed": (217, 48, 37), "skipped": (128, 134, 139), "unfinished": (227, 116, 0)}


class NoScreenshots(ValueError):
    """The run has no screenshot to animate."""


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # an old Pillow without scalable default fonts
        return ImageFont.load_default()


def _fit(draw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def frames_of(run: RunView) -> list[tuple[Path, str, str, str]]:
    """(screenshot, step id, status, intent) for each step that has a screenshot, in the order they ran."""
    return [
        (s.screenshot, s.id, s.status, s.intent or "")
        for s in run.ordered_steps()
        if s.screenshot is not None and s.attempts
    ]


def write_summary(run: RunView, out: Path) -> Path:
    """Write the animated summary to ``out``; raises :class:`NoScreenshots` when there is nothing to show."""
    from PIL import Image, ImageDraw

    found = frames_of(run)
    frames = []
    big, small = _font(17), _font(14)
    for number, (path, step, status, intent) in enumerate(found, 1):
        try:
            with Image.open(path) as shot:
                shot = shot.convert("RGB")
        except OSError:  # a damaged screenshot: left out of the animation
            continue
        if shot.width != WIDTH:
            shot = shot.resize((WIDTH, max(1, round(shot.height * WIDTH / shot.width))))
        frame = Image.new("RGB", (WIDTH, shot.height + CAPTION_H), (32, 33, 36))
        frame.paste(shot, (0, CAPTION_H))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((0, 0, 7, CAPTION_H), fill=BAR.get(status, (154, 160, 166)))
        head = f"{number}/{len(found)}  {step}  · {status}"
        draw.text((16, 5), _fit(draw, head, big, WIDTH - 24), font=big, fill=(255, 255, 255))
        draw.text((16, 28), _fit(draw, intent, small, WIDTH - 24), font=small, fill=(218, 220, 224))
        frames.append(frame)
    if not frames:
        raise NoScreenshots(f"{run.path} has no screenshots (a run with --no-screenshots, or none was taken)")
    out.parent.mkdir(parents=True, exist_ok=True)
    durations = [FRAME_MS] * (len(frames) - 1) + [FRAME_MS * 2]
    if out.suffix.lower() == ".webp":
        frames[0].save(out, save_all=True, append_images=frames[1:], duration=durations, loop=0, quality=70)
    else:
        palette = [f.convert("P", palette=Image.Palette.ADAPTIVE, colors=192) for f in frames]
        palette[0].save(out, save_all=True, append_images=palette[1:], duration=durations, loop=0, optimize=True)
    return out


def thumbnail_uri(run: RunView, width: int = 200) -> str | None:
    """The screenshot after the last step that has one, as a small JPEG ``data:`` URI (None: no screenshot)."""
    import base64
    import io

    from PIL import Image

    found = frames_of(run)
    if not found:
        return None
    path = max(found, key=lambda f: run.steps[f[1]].attempts[-1].started or 0.0)[0]
    try:
        with Image.open(path) as shot:
            shot = shot.convert("RGB")
    except OSError:
        return None
    shot.thumbnail((width, width * 4))
    data = io.BytesIO()
    shot.save(data, format="JPEG", quality=72)
    return "data:image/jpeg;base64," + base64.b64encode(data.getvalue()).decode("ascii")
