"""Write the TFLite metadata mediapipe 1.x needs into the pose models shipped in mediapipe 0.10.21.

The old wheel's ``pose_detection.tflite`` and ``pose_landmark_full.tflite`` take float32 images but
carry no metadata saying how pixels are normalised, and mediapipe 1.x's PoseLandmarker refuses
such models ("it requires specifying NormalizationOptions metadata"). mediapipe's own metadata
writer needs a compiled module missing from its wheel, so we write the metadata with the
flatbuffer object API it ships (``schema_py_generated`` for the model,
``metadata_schema_py_generated`` for the metadata) and the ``flatbuffers`` package.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
from mediapipe.tasks.metadata import metadata_schema_py_generated as md
from mediapipe.tasks.metadata import schema_py_generated as tfl

METADATA_NAME = "TFLITE_METADATA"
BUFFER_ALIGNMENT = 16  # TFLite maps constant buffers in place only when they are 16-byte aligned


class _AlignedBuffer(tfl.BufferT):
    """A model buffer whose bytes are packed 16-byte aligned (the generated code aligns to 1)."""

    def Pack(self, builder: flatbuffers.Builder) -> int:  # noqa: N802 - flatbuffers' naming
        data = None
        if self.data is not None and len(self.data):
            raw = np.asarray(self.data, dtype=np.uint8)
            builder.StartVector(1, raw.size, BUFFER_ALIGNMENT)
            builder.head = builder.head - raw.size
            builder.Bytes[builder.head : builder.head + raw.size] = raw.tobytes()
            data = builder.EndVector()
        tfl.BufferStart(builder)
        if data is not None:
            tfl.BufferAddData(builder, data)
        tfl.BufferAddOffset(builder, self.offset)
        tfl.BufferAddSize(builder, self.size)
        return tfl.BufferEnd(builder)


def _image_input(mean: float, std: float) -> md.TensorMetadataT:
    props = md.ImagePropertiesT()
    props.colorSpace = md.ColorSpaceType.RGB
    content = md.ContentT()
    content.contentPropertiesType = md.ContentProperties.ImageProperties
    content.contentProperties = props
    norm = md.NormalizationOptionsT()
    norm.mean, norm.std = [mean], [std]
    unit = md.ProcessUnitT()
    unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    tensor = md.TensorMetadataT()
    tensor.name = "image"
    tensor.content = content
    tensor.processUnits = [unit]
    return tensor


def add_image_metadata(model_bytes: bytes, name: str, mean: float, std: float) -> bytes:
    """Return ``model_bytes`` with RGB image-input metadata and pixel normalisation (x - mean) / std.

    Any metadata already present under ``TFLITE_METADATA`` is replaced. Deterministic: the same
    input always gives the same bytes.
    """
    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAs(model_bytes, 0))
    subgraph = model.subgraphs[0]

    outputs = []
    for i, tensor_index in enumerate(subgraph.outputs):
        t = md.TensorMetadataT()
        raw_name = subgraph.tensors[tensor_index].name
        t.name = raw_name.decode() if isinstance(raw_name, bytes) else (raw_name or f"output_{i}")
        outputs.append(t)
    graph = md.SubGraphMetadataT()
    graph.inputTensorMetadata = [_image_input(mean, std)]
    graph.outputTensorMetadata = outputs
    meta = md.ModelMetadataT()
    meta.name = name
    meta.description = "Pose model from mediapipe 0.10.21 with input normalisation metadata."
    meta.subgraphMetadata = [graph]
    meta.minParserVersion = "1.0.0"
    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), b"M001")
    meta_bytes = np.frombuffer(bytes(builder.Output()), dtype=np.uint8)

    model.metadata = [m for m in (model.metadata or []) if _name(m.name) != METADATA_NAME]
    model.buffers = [_aligned(b) for b in model.buffers]
    buffer = _AlignedBuffer()
    buffer.data = meta_bytes
    model.buffers.append(buffer)
    entry = tfl.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)

    out = flatbuffers.Builder(len(model_bytes) + 4096)
    out.Finish(model.Pack(out), b"TFL3")
    return bytes(out.Output())


def _aligned(buffer: tfl.BufferT) -> _AlignedBuffer:
    aligned = _AlignedBuffer()
    aligned.data, aligned.offset, aligned.size = buffer.data, buffer.offset, buffer.size
    return aligned


def _name(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def read_normalization(model_bytes: bytes) -> tuple[float, float] | None:
    """The (mean, std) recorded in a model's metadata, or None (used to verify a built model)."""
    model = tfl.Model.GetRootAs(model_bytes, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if _name(entry.Name()) != METADATA_NAME:
            continue
        data = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
        meta = md.ModelMetadataT.InitFromObj(md.ModelMetadata.GetRootAs(data, 0))
        unit = meta.subgraphMetadata[0].inputTensorMetadata[0].processUnits[0].options
        return float(unit.mean[0]), float(unit.std[0])
    return None
