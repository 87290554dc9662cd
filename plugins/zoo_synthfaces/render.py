"""Analytic, batched rendering of synthetic aligned faces.

Faces are drawn in the coordinates of the ArcFace-112 template (x, y in [0, 112], y down) and
sampled at pixel centres, so any resolution shows the same face with the eyes, nose tip and mouth
corners on the template's 5 points scaled to that size. Every part is a signed distance (in
template units) turned into coverage over one pixel: edges are antialiased at every size.

Only exactly-rounded operations (+ − × ÷ √, min/max, floor, comparisons) touch pixels, so a face's
pixels are bit-identical whether it is rendered alone or in a batch: that is what lets a swap
ground truth equal an ordinary rendering exactly.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from zoo_synthfaces.params import HAIR_STYLES, MAX_ROLL_DEGREES, FaceParams

__all__ = ["render_faces", "TEMPLATE_112"]

#: ArcFace-112 5-point template: left eye, right eye, nose tip, left and right mouth corner.
TEMPLATE_112 = (
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
)

_PIXELS_PER_CHUNK = 1 << 21
#: How far a point up to 64 template units from the roll centre moves under the largest roll (7°).
_ROLL_MARGIN = 64.0 * 2.0 * math.sin(math.radians(MAX_ROLL_DEGREES) / 2.0)


def _length(dx: Tensor, dy: Tensor) -> Tensor:
    return (dx * dx + dy * dy).sqrt()


def _ellipse(x: Tensor, y: Tensor, cx: Tensor, cy: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """Approximate signed distance to an axis-aligned ellipse (exact on the boundary's normal)."""
    qx = (x - cx) / a
    qy = (y - cy) / b
    k0 = _length(qx, qy)
    k1 = _length(qx / a, qy / b)
    return k0 * (k0 - 1.0) / (k1 + 1e-6)


def _mean_rgb(colour: Tensor) -> Tensor:
    """Channel mean written out (no reduction kernel), so its rounding never depends on the batch."""
    return (colour[:, 0:1] + colour[:, 1:2] + colour[:, 2:3]) / 3.0


def _triangle_wave(u: Tensor) -> Tensor:
    return ((u - u.floor()) - 0.5).abs() * 2.0


class _Canvas:
    """Per-face parameters as N×1×1 tensors, the pixel grid, and the colour being painted."""

    def __init__(self, identity: FaceParams, attributes: FaceParams, resolution: int):
        count = len(identity["face_w"])
        if len(attributes["yaw"]) != count:
            raise ValueError(f"{count} identity rows but {len(attributes['yaw'])} attribute rows")
        self.params = {name: value.reshape(count, 1, 1) for name, value in (identity | attributes).items()}
        self.pixel = 112.0 / resolution
        centres = (torch.arange(resolution, dtype=torch.float32) + 0.5) * self.pixel
        self.grid_x = centres.reshape(1, 1, resolution)
        self.grid_y = centres.reshape(1, resolution, 1)
        dx, dy = self.grid_x - 56.0, self.grid_y - 64.0
        cos, sin = self["roll_cos"], self["roll_sin"]
        self.x = 56.0 + cos * dx + sin * dy
        self.y = 64.0 - sin * dx + cos * dy
        self.colour = torch.empty(count, 3, resolution, resolution)
        self.rows = self.columns = slice(0, resolution)

    #: Paint small parts only inside their bounding window (same pixels, far fewer operations).
    use_windows = True

    @contextmanager
    def window(self, left: float, right: float, top: float, bottom: float) -> Iterator[_Canvas]:
        """A view of the pixels whose centres may fall in [left, right]×[top, bottom] (template units).

        The box is widened by the largest roll's displacement, so a part drawn inside it is
        entirely inside the window; painting outside the window would change nothing.
        """
        view = copy.copy(self)
        if self.use_windows:
            size = self.colour.shape[-1]
            margin = _ROLL_MARGIN + self.pixel

            def pixels(low: float, high: float) -> slice:
                return slice(max(0, math.floor((low - margin) / self.pixel)), min(size, math.ceil((high + margin) / self.pixel)))

            view.rows, view.columns = pixels(top, bottom), pixels(left, right)
            view.x, view.y = self.crop(self.x, view), self.crop(self.y, view)
            view.grid_x, view.grid_y = self.grid_x[..., view.columns], self.grid_y[..., view.rows, :]
            view.colour = self.crop(self.colour, view)
        yield view
        if self.use_windows:
            self.colour[..., view.rows, view.columns] = view.colour
        else:
            self.colour = view.colour

    @staticmethod
    def crop(tensor: Tensor, view: _Canvas) -> Tensor:
        return tensor[..., view.rows, view.columns]

    def __getitem__(self, name: str) -> Tensor:
        return self.params[name]

    def rgb(self, name: str) -> Tensor:
        return torch.stack([self[f"{name}_{c}"] for c in "rgb"], dim=1)

    def style(self, name: str) -> Tensor:
        return (self["hair_style"] == float(HAIR_STYLES.index(name))).float()

    def cover(self, distance: Tensor, softness: float = 1.0) -> Tensor:
        """Fraction of a pixel (or of a wider soft edge) inside the shape ``distance <= 0``."""
        return (0.5 - distance / (self.pixel * softness)).clamp(0.0, 1.0)

    def soft(self, distance: Tensor, width: float) -> Tensor:
        return (0.5 - distance / width).clamp(0.0, 1.0)

    def paint(self, alpha: Tensor, colour: Tensor) -> None:
        self.colour = self.colour + alpha.unsqueeze(1) * (colour - self.colour)

    def shade(self, alpha: Tensor, factor: Tensor | float) -> None:
        """Multiply the colour by ``factor`` where ``alpha`` is 1 (darken < 1 < lighten)."""
        self.colour = self.colour * (1.0 + alpha.unsqueeze(1) * (factor - 1.0))

    def lambert(self, nx: Tensor, ny: Tensor) -> Tensor:
        """Brightness of a bulging surface with normal (nx, ny, √(1−nx²−ny²)) under the light."""
        nz = (1.0 - nx * nx - ny * ny).clamp(min=0.0).sqrt()
        diffuse = (nx * self["light_x"] + ny * self["light_y"] + nz * self["light_z"]).clamp(min=0.0)
        ambient = self["light_ambient"]
        return ambient + (1.0 - ambient) * self["light_power"] * diffuse

    def flat_light(self) -> Tensor:
        ambient = self["light_ambient"]
        return ambient + (1.0 - ambient) * self["light_power"] * self["light_z"]


class _Face:
    """Paints one batch of faces layer by layer, back to front.

    Large parts (background, head, hair) cover the whole canvas; small ones (ears, eyes, nose,
    mouth) are painted inside a window that bounds them for every parameter value.
    """

    def __init__(self, canvas: _Canvas):
        self.canvas = c = canvas
        self.cx = 56.0 - c["yaw"] * 6.0
        self.cy = 59.0 + c["face_dy"] - c["pitch"] * 2.5
        self.tip_x = TEMPLATE_112[2][0] + c["yaw"] * 3.5
        self.tip_y = TEMPLATE_112[2][1] - c["pitch"] * 2.0
        taper = ((c.y - self.cy) / c["face_h"]).clamp(0.0, 1.0)
        self.half_width = c["face_w"] * (1.0 - c["jaw"] * taper * taper)
        self.face = _ellipse(c.x, c.y, self.cx, self.cy, self.half_width, c["face_h"])
        nx = (c.x - self.cx) / self.half_width * 0.85 + c["yaw"] * 0.2
        ny = (c.y - self.cy) / c["face_h"] * 0.85
        self.skin = c.rgb("skin") * c.lambert(nx.clamp(-1.0, 1.0), ny.clamp(-1.0, 1.0)).unsqueeze(1)
        volume = c["hair_volume"]
        self.head = _ellipse(c.x, c.y, self.cx, self.cy - 3.0, c["face_w"] + volume, c["face_h"] + volume * 0.7)
        spread = c["face_w"] + volume + 0.12 * (c.y - self.cy)
        self.back_hair = torch.minimum(self.head, torch.maximum((c.x - self.cx).abs() - spread, self.cy - c.y))

    def background(self) -> None:
        c = self.canvas
        along = ((c.grid_x - 56.0) * c["gradient_x"] + (c.grid_y - 56.0) * c["gradient_y"]) / 112.0
        blend = (along + 0.5).clamp(0.0, 1.0).unsqueeze(1)
        first, second = c.rgb("bg1"), c.rgb("bg2")
        c.colour = first + blend * (second - first)

    def body(self) -> None:
        c = self.canvas
        light = c.flat_light().unsqueeze(1)
        shoulders = _ellipse(c.x, c.y, self.cx, torch.full_like(self.cx, 148.0), torch.full_like(self.cx, 64.0), torch.full_like(self.cx, 44.0))
        c.paint(c.cover(shoulders), c.rgb("cloth") * light)
        neck = torch.maximum((c.x - self.cx).abs() - c["face_w"] * 0.62, self.cy + 10.0 - c.y)
        c.paint(c.cover(neck), c.rgb("skin") * light * 0.72)
        c.paint(c.cover(self.back_hair) * c.style("long"), c.rgb("hair") * light * 0.7)

    def ears(self) -> None:
        for side, box in ((-1.0, (0.0, 43.0)), (1.0, (69.0, 112.0))):
            with self.canvas.window(*box, 44.0, 80.0) as c:
                ex = self.cx + side * (c["face_w"] - 1.5) - c["yaw"] * 2.5
                ey = self.cy + 2.0
                ear = _ellipse(c.x, c.y, ex, ey, 4.5 * c["ear"], 9.0 * c["ear"])
                light = c.lambert(torch.full_like(ex, side * 0.75), ((c.y - ey) / 12.0).clamp(-1.0, 1.0))
                c.paint(c.cover(ear), c.rgb("skin") * light.unsqueeze(1))
                inner = _ellipse(c.x, c.y, ex + side * 0.8, ey, 2.2 * c["ear"], 6.0 * c["ear"])
                c.shade(c.soft(inner, 2.0) * 0.35, 0.6)

    def skin_and_beard(self) -> None:
        c = self.canvas
        c.paint(c.cover(self.face), self.skin)
        across = (c.x - self.cx) / c["face_w"]
        beard = torch.maximum(self.face + 0.5, self.tip_y + 4.0 - 14.0 * across * across - c.y)
        shaved = _ellipse(c.x, c.y, self.cx, self.tip_y - 6.0, c["face_w"] * 0.5, torch.full_like(self.cx, 8.0))
        stubble = c.soft(torch.maximum(beard, -shaved), 3.0) * c["beard"]
        c.paint(stubble, c.rgb("hair") * _mean_rgb(self.skin) * 1.1)
        for side in (-1.0, 1.0):
            with c.window(56.0 + side * 21.0 - 16.0, 56.0 + side * 21.0 + 16.0, 62.0, 90.0) as w:
                cheek = _length(w.x - (56.0 + side * 21.0 + w["yaw"] * 1.5), w.y - 76.0) - 5.0
                strength = w["blush"] + 0.12 * w["smile"].clamp(min=0.0)
                w.paint(w.soft(cheek, 8.0) * strength * w.cover(w.crop(self.face, w)), w.rgb("lip") * 0.95)

    def eye(self, side: float, template: tuple[float, float]) -> None:
        with self.canvas.window(template[0] - 19.0, template[0] + 19.0, template[1] - 24.0, template[1] + 14.0) as c:
            ex = template[0] + c["yaw"] * 1.2
            ey = template[1] - c["pitch"] * 0.8
            width = c["eye_w"] * (1.0 - 0.15 * side * c["yaw"])
            openness = c["eye_open"] * c["eyes_open"] * (1.0 - 0.25 * c["smile"].clamp(min=0.0))
            height = (width * openness).clamp(min=0.25)
            x = c.x
            y = c.y + c["eye_tilt"] * side * (x - ex)
            radius = (width * width + height * height) / (2.0 * height)
            upper = _length(x - ex, y - (ey - height + radius)) - radius
            lower = _length(x - ex, y - (ey + height - radius)) - radius
            eye = torch.maximum(upper, lower)
            span = (x - ex).abs() - width
            socket = _ellipse(x, y, ex, ey - 1.0, width * 1.55, width * 1.0)
            c.shade(c.soft(socket, 5.0) * 0.16, 0.72)
            white = torch.tensor([0.95, 0.93, 0.89]).reshape(1, 3, 1, 1)
            c.paint(c.cover(eye), white * c.flat_light().unsqueeze(1).clamp(max=1.0))
            ix = ex + c["gaze_x"] * width * 0.35
            iy = ey + c["gaze_y"] * height * 0.3
            iris_radius = c["iris"] * width * 0.85
            distance = _length(x - ix, y - iy)
            ring = (distance / iris_radius).clamp(max=1.0)
            c.paint(c.cover(torch.maximum(distance - iris_radius, eye)), c.rgb("iris") * (1.3 - 0.6 * ring * ring).unsqueeze(1))
            c.paint(c.cover(torch.maximum(distance - iris_radius * 0.42, eye)), torch.full((1, 3, 1, 1), 0.03))
            glint = _length(x - (ix + c["light_x"] * iris_radius * 0.45), y - (iy + c["light_y"] * iris_radius * 0.45))
            c.paint(c.cover(torch.maximum(glint - iris_radius * 0.2, eye)) * 0.85, torch.ones(1, 3, 1, 1))
            lashes = torch.maximum(torch.maximum(upper.abs() - 0.55, span), y - ey)
            c.paint(c.cover(lashes) * 0.9, c.rgb("hair") * 0.35 + 0.03)
            crease = torch.maximum(torch.maximum((upper + 2.6).abs() - 0.35, span + 0.2 * width), y - ey)
            c.shade(c.cover(crease, 1.5) * 0.4, 0.7)
            lid = torch.maximum(torch.maximum(lower.abs() - 0.3, span + 0.1 * width), ey - y)
            c.shade(c.cover(lid) * 0.3, 0.7)
            self._brow(c, side, template)

    def _brow(self, c: _Canvas, side: float, template: tuple[float, float]) -> None:
        width = c["eye_w"] * c["brow_len"]
        bx = (c.x - (template[0] + c["yaw"] * 1.2 + side * 1.0)) / width
        arch = (1.0 - bx * bx).clamp(min=0.0)
        centre = template[1] - c["pitch"] * 0.8 - c["brow_gap"] - c["brow_raise"] * 1.8 - c["brow_arch"] * arch
        thickness = c["brow_thick"] * (1.0 - 0.35 * (side * bx + 1.0))
        brow = torch.maximum((c.y - centre).abs() - thickness, (bx.abs() - 1.0) * width)
        c.paint(c.cover(brow) * 0.92, c.rgb("hair") * 0.7 + 0.02)

    def nose(self) -> None:
        with self.canvas.window(36.0, 76.0, 46.0, 82.0) as c:
            tip_x, tip_y = self.tip_x, self.tip_y
            width = c["nose_w"]
            top = 52.0 - c["pitch"] * 0.8
            middle = (top + tip_y) * 0.5 + 2.0
            length = (tip_y - top) * 0.5 + 1.0
            away = -torch.sign(c["light_x"])
            side_shadow = _ellipse(c.x, c.y, tip_x + away * width * 0.55 - c["yaw"] * 1.5, middle, width * 0.35 + 0.5, length)
            c.shade(c.soft(side_shadow, 3.0) * (0.1 + 0.25 * c["light_x"].abs()), 0.55)
            bridge = _ellipse(c.x, c.y, tip_x - away * 1.0, middle, torch.full_like(width, 1.5), length)
            c.shade(c.soft(bridge, 3.0) * c["nose_light"], 2.0)
            bulb = _ellipse(c.x, c.y, tip_x, tip_y - 0.5, width * 0.55, width * 0.42)
            c.shade(c.soft(bulb, 2.5) * c["nose_light"], 2.0)
            for side in (-1.0, 1.0):
                wing = _length(c.x - (tip_x + side * width * 0.72), c.y - (tip_y + 0.8)) - width * 0.32
                c.shade(c.cover(torch.maximum(wing.abs() - 0.35, tip_y - 0.5 - c.y)) * 0.4, 0.55)
                nostril = _ellipse(c.x, c.y, tip_x + side * width * 0.36, tip_y + 2.0, width * 0.2, width * 0.11)
                c.shade(c.cover(nostril) * 0.85, 0.28)
            under = _ellipse(c.x, c.y, tip_x, tip_y + 3.8, width * 0.9, torch.full_like(width, 1.8))
            c.shade(c.soft(under, 2.5) * 0.2, 0.6)

    def mouth(self) -> None:
        with self.canvas.window(35.0, 77.0, 80.0, 105.0) as c:
            centre_x = (TEMPLATE_112[3][0] + TEMPLATE_112[4][0]) * 0.5 + c["yaw"] * 2.0
            centre_y = (TEMPLATE_112[3][1] + TEMPLATE_112[4][1]) * 0.5 - c["pitch"] * 1.2
            smile, opening = c["smile"], c["mouth_open"]
            half = 14.59 * c["mouth_w"] * (1.0 + 0.08 * smile) * (1.0 - 0.12 * opening)
            xm = (c.x - centre_x) / half
            bulge = (1.0 - xm * xm).clamp(min=0.0)
            rounded = bulge.sqrt()
            line = centre_y + smile * 2.6 * bulge - smile * 0.8
            gap = opening * 8.0 * rounded
            bow = (1.0 - xm.abs() * 5.0).clamp(min=0.0)
            top = line - gap * 0.5 - c["lip_up"] * rounded * (1.0 - 0.3 * bow)
            bottom = line + gap * 0.5 + c["lip_low"] * rounded
            edge = (xm.abs() - 1.0) * half
            lips = torch.maximum(torch.maximum(top - c.y, c.y - bottom), edge)
            upper_part = c.cover(line - c.y)
            lip_colour = c.rgb("lip") * _mean_rgb(c.crop(self.skin, c)) / _mean_rgb(c.rgb("skin"))
            c.paint(c.cover(lips), lip_colour * (1.0 - 0.15 * upper_part).unsqueeze(1))
            shine = _ellipse(c.x, c.y, centre_x, line + gap * 0.5 + c["lip_low"] * 0.45, half * 0.35, c["lip_low"] * 0.25)
            c.shade(c.soft(shine, 2.0) * 0.15, 1.6)
            mouth_gap = torch.maximum((c.y - line).abs() - (gap * 0.5 + 0.4), edge + 0.5)
            c.paint(c.cover(mouth_gap) * 0.9, lip_colour * 0.3)
            teeth_top = line - gap * 0.5
            teeth = torch.maximum(torch.maximum(teeth_top - c.y, c.y - (teeth_top + gap * 0.45)), edge + 2.5)
            enamel = torch.tensor([0.93, 0.9, 0.84]).reshape(1, 3, 1, 1) * c.flat_light().unsqueeze(1).clamp(max=1.0)
            c.paint(c.cover(teeth) * (gap * 0.6).clamp(0.0, 1.0), enamel)

    def hair(self) -> None:
        c = self.canvas
        fringe, long_hair, side_part = c.style("fringe"), c.style("long"), c.style("side_part")
        across = (c.x - self.cx) / c["face_w"]
        crown = self.cy - c["face_h"]
        regular = crown + c["hairline"] + 12.0 * across * across + side_part * c["hair_part"] * 6.0 * across
        jag = 2.2 * _triangle_wave((c.x - self.cx) / 4.5) * max(0.0, 1.0 - c.pixel / 3.0)
        fringed = crown + 30.0 + 4.0 * across * across + jag
        hairline = regular + fringe * (fringed - regular)
        sideburn = self.cy + 2.0 + long_hair * (c["face_h"] * 0.55 - 2.0)
        sides = torch.maximum(-(self.face + long_hair * 4.5), c.y - sideburn)
        outline = self.head + long_hair * (torch.minimum(self.head, self.back_hair) - self.head)
        hair = torch.maximum(outline, torch.minimum(c.y - hairline, sides))
        strength = 1.0 - 0.75 * c.style("bald")
        hx = (c.x - self.cx) / (c["face_w"] + c["hair_volume"]) * 0.9
        hy = (c.y - self.cy + 3.0) / (c["face_h"] + c["hair_volume"]) * 0.9
        strands = _triangle_wave((c.x - self.cx + 0.3 * (c.y - self.cy)) / 3.2) * max(0.0, 1.0 - 2.0 * c.pixel / 3.2)
        brightness = c.lambert(hx.clamp(-1.0, 1.0), hy.clamp(-1.0, 1.0)) * (0.88 + 0.12 * strands)
        c.paint(c.cover(hair) * strength, c.rgb("hair") * brightness.unsqueeze(1))

    def render(self) -> Tensor:
        self.background()
        self.body()
        self.ears()
        self.skin_and_beard()
        for side, template in ((-1.0, TEMPLATE_112[0]), (1.0, TEMPLATE_112[1])):
            self.eye(side, template)
        self.nose()
        self.mouth()
        self.hair()
        return (self.canvas.colour * self.canvas.rgb("tint")).clamp_(0.0, 1.0)


def render_faces(identity: FaceParams, attributes: FaceParams, resolution: int) -> Tensor:
    """Render N faces (row k: identity row k with attribute row k) as N×3×r×r float in [0,1]."""
    if resolution < 1:
        raise ValueError(f"resolution must be positive, got {resolution}")
    count = len(identity["face_w"])
    chunk = max(1, _PIXELS_PER_CHUNK // (resolution * resolution))
    parts = []
    with torch.no_grad():
        for start in range(0, count, chunk):
            rows = slice(start, start + chunk)
            canvas = _Canvas({k: v[rows] for k, v in identity.items()}, {k: v[rows] for k, v in attributes.items()}, resolution)
            parts.append(_Face(canvas).render())
    return torch.cat(parts) if parts else torch.empty(0, 3, resolution, resolution)
