"""One visitor per avatar: frame the chosen person head and shoulders, and cut out only them.

A photo may hold several people, touching or far away. :func:`frame_person` finds every face
(:func:`relive.backends.faces.face_square_crop`), takes the main person (largest, most central) or the one the
visitor chose, and crops a square portrait round them. With no face at all it frames the top of the largest person
the segmenter sees, so a full-body figure still fills the avatar, and says so. :func:`keep_chosen_person` then
trims the segmenter's mask, which covers everyone, to the chosen person alone: each mask pixel belongs to the
person whose clothes colours and face distance fit it best (clothes learnt where only that person can be; the
distance scaled by the face's size, so a near person's shoulders beat a far person's face), and only the region
connected to the chosen face stays, which also drops stray blobs (a bus, a flag).

    crop, info = frame_person(photo, 1024)                    # info.faces: every face, info.face: the one framed
    alpha = person_alpha(crop, info, 1024)                    # the segmenter's mask, trimmed to that person
    cutout, info = cut_out_person(photo, 1024, choose=(x, y)) # both at once; the person nearest a tap
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from relive import imaging
from relive.backends import faces
from relive.backends.faces import CropInfo, Face, FaceChoice

# With no face, the portrait square is this many times the person's width at the shoulders, and starts this far
# (of the square) above the top of the person: head and shoulders of a standing figure.
NO_FACE_WIDTH = 2.0
NO_FACE_HEADROOM = 0.08
MIN_PERSON_PIXELS = 0.002  # a mask blob smaller than this share of the photo is noise, not a person
NO_FACE_NOTICE = ("No face found, so the avatar is framed on the person in the photo; face the camera in good "
                  "light for a better portrait")
# A pixel above a face is the face's only within this many face widths (hair, a hat); beyond, it is someone else's.
HEADROOM_WIDTHS = 0.9
# The cut between two touching people is softened over this many pixels (at 1024 px) so it does not look sawn.
SEAM_SOFTNESS = 3


def frame_person(picture: imaging.ImageSource, size: int, choose: FaceChoice = None,
                 backend: str | None = None) -> tuple[Image.Image, CropInfo]:
    """A ``size``² head-and-shoulders crop of one person in ``picture`` and what was done (see
    :func:`relive.backends.faces.face_square_crop`; ``choose``: a face index or a point (x, y) on the photo)."""
    img = imaging.load_image(picture, "RGB")
    crop, info = faces.face_square_crop(img, size, backend, choose)
    if info.face is not None:
        return crop, info
    box = person_box(img)
    if box is None:
        return crop, info
    crop = img.crop(box).resize((size, size), Image.LANCZOS)
    return crop, CropInfo(0, NO_FACE_NOTICE, box, None, info.backend, ())


def person_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    """A square (left, top, right, bottom) round the head and shoulders of the largest person the segmenter
    finds in ``img``, inside the image; None when it finds nobody."""
    from relive.backends import segmentation

    blob = largest_region(segmentation.SEGMENTERS.session().segment(img) > 127)
    if blob is None:
        return None
    rows = np.flatnonzero(blob.any(axis=1))
    top = rows[0]
    person_height = rows[-1] - top + 1
    # The shoulders: the widest the person gets in their top third (or their whole height when short).
    upper = blob[top:top + max(1, person_height // 3)]
    columns = np.flatnonzero(upper.any(axis=0))
    side = round(min(max((columns[-1] - columns[0] + 1) * NO_FACE_WIDTH, 16), *img.size))
    centre_x = float(np.mean(np.nonzero(upper)[1]))
    left = int(min(max(0, round(centre_x - side / 2)), img.width - side))
    top = int(min(max(0, round(top - NO_FACE_HEADROOM * side)), img.height - side))
    return left, top, left + side, top + side


def largest_region(mask: np.ndarray) -> np.ndarray | None:
    """The largest 8-connected region of a boolean mask (None when it has none worth calling a person)."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[biggest, cv2.CC_STAT_AREA] < MIN_PERSON_PIXELS * mask.size:
        return None
    return labels == biggest


def faces_in_crop(info: CropInfo, size: int) -> list[Face]:
    """Every face of ``info`` in the ``size``² crop's pixels (faces outside the crop too: their bodies may
    reach into it)."""
    left, top, right, _ = info.box
    scale = size / (right - left)
    return [Face(round((f.x - left) * scale), round((f.y - top) * scale), round(f.w * scale), round(f.h * scale),
                 f.score) for f in info.faces]


def face_costs(shape: tuple[int, int], people: list[Face]) -> np.ndarray:
    """Per person and pixel (n, H, W), how far the pixel is from that person: the distance across to their face, in
    units of the face's width (a body hangs below its face about as wide as the shoulders), with pixels far above
    a face counted as further away."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    costs = []
    for face in people:
        cx, cy = face.center
        scale = max(face.w, 1)
        above = np.maximum(0.0, (cy - HEADROOM_WIDTHS * scale) - ys)
        costs.append(np.hypot(xs - cx, above) / scale)
    return np.stack(costs)


# Splitting touching people by their clothes: the work size, the Lab histogram's bins per axis, how many face widths
# of distance weigh as much as e (2.7×) in colour likelihood, and the likelihood of a colour a person's clothes
# never showed (a floor: one odd colour must not outweigh the geometry). Chosen on the composed group photos
# (tests/test_framing.py): 12 or 24 bins and 0.3–0.4 widths move the leak by a few points, a floor of 1e-4 or less
# lets a dark helmet ring claim the navy uniform beside it.
SPLIT_SIDE = 256
CLOTHES_BINS = 16
COLOUR_WIDTHS = 0.3
UNSEEN_COLOUR = 1e-3
CLOTHES_SMOOTH = 3.0  # px at SPLIT_SIDE: the colour evidence is pooled over a neighbourhood, so the seam is smooth
BODY_TOP = 0.9  # clothes start this many face heights below the face's centre …
BODY_REACH = 1.3  # … and reach this many face widths to each side
BODY_INNER = 0.3  # the half of the body facing another person starts this far out (its arm may lie on them)
BODY_MIDDLE = 0.2  # with people on both sides, only this narrow column under the face is surely theirs
FACE_OWN = (0.45, 0.55)  # a face's ellipse (half width, half height in face widths) is its own person's


def owner_by_clothes(rgb: np.ndarray, solid: np.ndarray, people: list[Face]) -> np.ndarray:
    """For each pixel of ``solid`` (the segmenter's mask of everyone; ``rgb`` the picture, same size; ``people`` the
    faces in its pixels), the index of the person it belongs to, by their clothes as well as where their faces
    are: each person's clothes colours are learnt from where only they can be (:func:`clothes_seeds`), and a pixel
    goes to the person whose colours and face distance fit it best. Where one person stands in front of another,
    their sleeve reaches across the other's chest: the face distance alone gave it to the wrong one."""
    import cv2

    side = solid.shape[0]
    small = cv2.resize(rgb, (SPLIT_SIDE, SPLIT_SIDE), interpolation=cv2.INTER_AREA)
    inside = cv2.resize(solid.astype(np.uint8), (SPLIT_SIDE, SPLIT_SIDE), interpolation=cv2.INTER_NEAREST) > 0
    scaled = [Face(*(round(v * SPLIT_SIDE / side) for v in face[:4]), face.score) for face in people]
    costs = face_costs(inside.shape, scaled)
    bins = (cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.int32) * CLOTHES_BINS) // 256
    colour = (bins[..., 0] * CLOTHES_BINS + bins[..., 1]) * CLOTHES_BINS + bins[..., 2]
    fit = []
    for cost, seed in zip(costs, clothes_seeds(costs, scaled, inside), strict=True):
        histogram = np.bincount(colour[seed], minlength=CLOTHES_BINS ** 3) / max(int(seed.sum()), 1)
        likelihood = np.log(histogram[colour] + UNSEEN_COLOUR).astype(np.float32)
        fit.append(cv2.GaussianBlur(likelihood, (0, 0), CLOTHES_SMOOTH) - cost / COLOUR_WIDTHS)
    owner = np.argmax(np.stack(fit), axis=0).astype(np.uint8)
    ys, xs = np.mgrid[0:SPLIT_SIDE, 0:SPLIT_SIDE]
    for index, face in enumerate(scaled):  # a face is its own person's, whatever its colours
        cx, cy = face.center
        owner[((xs - cx) / (FACE_OWN[0] * face.w)) ** 2 + ((ys - cy) / (FACE_OWN[1] * face.h)) ** 2 <= 1] = index
    return cv2.resize(owner, (side, side), interpolation=cv2.INTER_NEAREST)


def clothes_seeds(costs: np.ndarray, people: list[Face], inside: np.ndarray) -> list[np.ndarray]:
    """Per person, the pixels of ``inside`` that can only be theirs (bool, ``inside``'s shape): below their face,
    on the side away from everyone else (the side toward another person may hold that person's arm); between two
    people, a narrow column under the face. A person with none of those in the picture (a face at its edge) gets
    the pixels below their face that are far nearer to them than to anyone else."""
    ys, xs = np.mgrid[0:inside.shape[0], 0:inside.shape[1]]
    seeds = []
    for index, face in enumerate(people):
        cx, cy = face.center
        others = [other.center[0] for j, other in enumerate(people) if j != index]
        below = inside & (ys >= cy + BODY_TOP * face.h)
        offset = xs - cx
        if min(others) < cx < max(others):
            body = below & (np.abs(offset) <= BODY_MIDDLE * face.w)
        elif min(others) < cx:
            body = below & (offset >= BODY_INNER * face.w) & (offset <= BODY_REACH * face.w)
        else:
            body = below & (-offset >= BODY_INNER * face.w) & (-offset <= BODY_REACH * face.w)
        if body.sum() < 50:
            body = below & (2 * costs[index] < np.delete(costs, index, axis=0).min(axis=0))
        seeds.append(body)
    return seeds


def keep_chosen_person(alpha: np.ndarray, info: CropInfo, picture: imaging.ImageSource) -> np.ndarray:
    """``alpha`` (uint8 square: everyone the segmenter saw in ``picture``, the crop ``info`` describes) trimmed to
    the framed person: their share of the mask (:func:`owner_by_clothes`), and of that only the region connected
    to their face (or, with no face, the largest region). Returns ``alpha`` unchanged when that would leave
    nothing."""
    import cv2

    solid = alpha > 127
    if info.face is None:
        region = largest_region(solid)
    else:
        people = faces_in_crop(info, alpha.shape[1])
        chosen = info.faces.index(info.face)
        mine = solid
        if len(people) > 1:
            rgb = imaging.to_array(imaging.load_image(picture, "RGB").resize(alpha.shape[::-1]))
            mine = solid & (owner_by_clothes(rgb, solid, people) == chosen)
        region = region_at(mine, people[chosen])
    if region is None:
        return alpha
    # Keep the soft edge the segmenter drew, but nothing beyond the kept region (slightly grown, softly).
    size = alpha.shape[1]
    grown = cv2.dilate(region.astype(np.uint8) * 255, np.ones((5, 5), np.uint8))
    keep = cv2.GaussianBlur(grown, (0, 0), SEAM_SOFTNESS * size / 1024).astype(np.float32) / 255.0
    return (alpha.astype(np.float32) * np.minimum(keep * 1.5, 1.0) + 0.5).astype(np.uint8)


def person_alpha(crop: Image.Image, info: CropInfo, size: int) -> np.ndarray:
    """The alpha (uint8 ``size``²) of the framed person alone in ``crop`` (the square :func:`frame_person` gave,
    or a picture drawn from it): the segmenter's cut-out, trimmed by :func:`keep_chosen_person`."""
    from relive.backends import segmentation

    everyone = imaging.alpha_mask(segmentation.remove_background(crop, size))
    return keep_chosen_person(everyone, info, crop)


def cut_out_person(picture: imaging.ImageSource, size: int, choose: FaceChoice = None) -> tuple[Image.Image, CropInfo]:
    """The framed person of ``picture`` as a ``size``² RGBA cut-out (the photo itself, not stylised), and the
    framing: what the avatar is made from."""
    crop, info = frame_person(picture, size, choose)
    rgba = crop.convert("RGBA")
    rgba.putalpha(Image.fromarray(person_alpha(crop, info, size)))
    return rgba, info


def region_at(mask: np.ndarray, face: Face) -> np.ndarray | None:
    """The connected region of ``mask`` that covers most of ``face``'s box (None when none covers it)."""
    import cv2

    count, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    x0, y0 = max(0, face.x), max(0, face.y)
    inside = labels[y0:face.y + face.h, x0:face.x + face.w]
    counts = np.bincount(inside.ravel(), minlength=count)[1:]
    if counts.size == 0 or counts.max() == 0:
        return None
    return labels == 1 + int(np.argmax(counts))
