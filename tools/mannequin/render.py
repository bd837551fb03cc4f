"""Offscreen rendering of a mannequin with pyrender (OSMesa), and the camera projection.

Limbs are capsules between joint centres, the torso a hull of spheres at shoulders and hips, the
head a sphere wearing a face texture (the public-domain NASA astronaut portrait shipped with
scikit-image) so the landmark model can tell front from back and left from right.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

from dataclasses import dataclass  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pyrender  # noqa: E402
import trimesh  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data as skdata  # noqa: E402

from tools.mannequin.body import HEAD_RADIUS, Body, unit  # noqa: E402

SKIN = (0.87, 0.67, 0.53)
SHIRT = (0.15, 0.35, 0.75)
TROUSERS = (0.18, 0.18, 0.22)
SHOES = (0.95, 0.95, 0.95)
HAIR = (0.35, 0.22, 0.12)

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class Camera:
    position: np.ndarray  # world xyz; the camera looks along -z
    yfov_deg: float = 50.0

    @property
    def focal(self) -> float:
        return (HEIGHT / 2) / np.tan(np.radians(self.yfov_deg) / 2)

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (N×3) → pixels (N×2), x right, y down."""
        rel = points - self.position
        depth = -rel[:, 2]
        x = WIDTH / 2 + self.focal * rel[:, 0] / depth
        y = HEIGHT / 2 - self.focal * rel[:, 1] / depth
        return np.column_stack([x, y])

    def pose_matrix(self) -> np.ndarray:
        m = np.eye(4)
        m[:3, 3] = self.position
        return m


def _material(rgb: tuple[float, float, float]) -> pyrender.MetallicRoughnessMaterial:
    return pyrender.MetallicRoughnessMaterial(baseColorFactor=[*rgb, 1.0], metallicFactor=0.0, roughnessFactor=0.8)


def _capsule(a: np.ndarray, b: np.ndarray, radius: float) -> trimesh.Trimesh:
    length = float(np.linalg.norm(b - a))
    mesh = trimesh.creation.capsule(height=max(length, 1e-3), radius=radius, count=[12, 12])
    # trimesh's capsule is centred on the origin along z; rotate z onto a→b and centre it.
    rot = trimesh.geometry.align_vectors([0, 0, 1], (b - a) / max(length, 1e-9))
    mesh.apply_transform(rot)
    mesh.apply_translation((a + b) / 2)
    return mesh


def _head_texture() -> np.ndarray:
    """An equirectangular head texture: hair on top and at the back, the face at the front."""
    tex = np.zeros((256, 512, 3), np.uint8)
    tex[:] = np.array(SKIN) * 255
    tex[:70] = np.array(HAIR) * 255  # crown
    tex[:150, :128] = np.array(HAIR) * 255  # back of the head (u near 0 and 1)
    tex[:150, 384:] = np.array(HAIR) * 255
    face = skdata.astronaut()[55:185, 175:295]  # eyes to chin
    face = cv2.resize(face, (150, 130))
    tex[75:205, 181:331] = face
    return tex


def _head_mesh(body: Body) -> pyrender.Mesh:
    sphere = trimesh.creation.uv_sphere(radius=HEAD_RADIUS, count=[32, 32])
    v = sphere.vertices / HEAD_RADIUS
    # Texture coordinates in the head's own frame: u around the vertical axis (0.5 = the face),
    # v from the chin (0) to the crown (1).
    face, left = body.face, body.left
    up = np.cross(face, left)
    fx, lx, ux = v @ face, v @ left, v @ up
    # The person's left cheek appears on the picture's right, as in a portrait.
    u = 0.5 + np.arctan2(lx, fx) / (2 * np.pi)
    vv = 0.5 + np.arcsin(np.clip(ux, -1, 1)) / np.pi
    material = pyrender.MetallicRoughnessMaterial(
        baseColorTexture=pyrender.Texture(source=Image.fromarray(_HEAD_TEXTURE), source_channels="RGB"),
        metallicFactor=0.0,
        roughnessFactor=0.9,
    )
    sphere.visual = trimesh.visual.TextureVisuals(uv=np.column_stack([u, vv]))
    sphere.apply_translation(body.joints["head"])
    return pyrender.Mesh.from_trimesh(sphere, material=material, smooth=True)


_HEAD_TEXTURE = _head_texture()


def body_meshes(body: Body) -> list[pyrender.Mesh]:
    j = body.joints
    parts: dict[tuple[float, float, float], list[trimesh.Trimesh]] = {SKIN: [], SHIRT: [], TROUSERS: [], SHOES: []}
    for side in ("left", "right"):
        s, e, w = j[f"{side}_shoulder"], j[f"{side}_elbow"], j[f"{side}_wrist"]
        h, k, a = j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"]
        heel, toe = j[f"{side}_heel"], j[f"{side}_toe"]
        parts[SHIRT].append(_capsule(s, e, 0.055))
        parts[SKIN].append(_capsule(e, w, 0.042))
        hand_dir = unit(w - e)
        parts[SKIN].append(_capsule(w, w + hand_dir * 0.09, 0.035))
        parts[TROUSERS].append(_capsule(h, k, 0.075))
        parts[TROUSERS].append(_capsule(k, a, 0.055))
        parts[SHOES].append(_capsule(heel, toe, 0.045))
        parts[SHOES].append(_capsule(a, (heel + toe) / 2, 0.045))
    # Torso: hull of spheres at shoulders and hips (chest and pelvis), shirt above, trousers below.
    pts = []
    for name, r in (("shoulder", 0.09), ("hip", 0.10)):
        for side in ("left", "right"):
            sph = trimesh.creation.icosphere(subdivisions=2, radius=r)
            sph.apply_translation(j[f"{side}_{name}"])
            pts.append(sph.vertices)
    chest = trimesh.convex.convex_hull(np.vstack(pts))
    parts[SHIRT].append(chest)
    pelvis_pts = []
    for side in ("left", "right"):
        sph = trimesh.creation.icosphere(subdivisions=2, radius=0.105)
        sph.apply_translation(j[f"{side}_hip"])
        pelvis_pts.append(sph.vertices)
    parts[TROUSERS].append(trimesh.convex.convex_hull(np.vstack(pelvis_pts)))
    neck_base = (j["left_shoulder"] + j["right_shoulder"]) / 2
    parts[SKIN].append(_capsule(neck_base, j["head"], 0.05))
    meshes = [
        pyrender.Mesh.from_trimesh(trimesh.util.concatenate(ms), material=_material(colour))
        for colour, ms in parts.items()
        if ms
    ]
    meshes.append(_head_mesh(body))
    return meshes


class Renderer:
    def __init__(self, camera: Camera, mat_colour: tuple[float, float, float] = (0.55, 0.75, 0.65)) -> None:
        self.camera = camera
        self.renderer = pyrender.OffscreenRenderer(WIDTH, HEIGHT)
        self.scene = pyrender.Scene(bg_color=[0.86, 0.84, 0.80, 1.0], ambient_light=[0.35, 0.35, 0.35])
        floor = trimesh.creation.box(extents=[12, 0.02, 8])
        floor.apply_translation([0, -0.01, -2])
        self.scene.add(pyrender.Mesh.from_trimesh(floor, material=_material((0.62, 0.50, 0.38))))
        mat = trimesh.creation.box(extents=[2.0, 0.01, 0.9])
        mat.apply_translation([0, 0.005, 0])
        self.scene.add(pyrender.Mesh.from_trimesh(mat, material=_material(mat_colour)))
        wall = trimesh.creation.box(extents=[12, 6, 0.02])
        wall.apply_translation([0, 3, -2.5])
        self.scene.add(pyrender.Mesh.from_trimesh(wall, material=_material((0.88, 0.86, 0.82))))
        self.scene.add(pyrender.PerspectiveCamera(yfov=np.radians(camera.yfov_deg)), pose=camera.pose_matrix())
        light = np.eye(4)
        light[:3, :3] = trimesh.transformations.euler_matrix(-0.6, 0.4, 0)[:3, :3]
        self.scene.add(pyrender.DirectionalLight(intensity=3.0), pose=light)
        self._nodes: list[pyrender.Node] = []

    def render(self, body: Body) -> np.ndarray:
        """BGR uint8 image of the body."""
        for node in self._nodes:
            self.scene.remove_node(node)
        self._nodes = [self.scene.add(m) for m in body_meshes(body)]
        colour, _ = self.renderer.render(self.scene)
        return cv2.cvtColor(colour, cv2.COLOR_RGB2BGR)

    def close(self) -> None:
        self.renderer.delete()
