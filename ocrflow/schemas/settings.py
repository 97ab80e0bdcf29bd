"""ocrflow's one settings object: defaults here, overridden by OCRFLOW_* variables,
flow parameters and CLI flags (in that order).

The settings come in groups by concern (``models``, ``engine``, ``decoding``, ``detection``,
``orientation``, ``recognition``, ``records``, ``storage``), each a frozen pydantic model
whose field descriptions are the reference documentation. In the environment a field is
``OCRFLOW_<GROUP>__<FIELD>`` (``OCRFLOW_ENGINE__THREADS=4``); the flat names of earlier
releases (``OCRFLOW_THREADS=4``) keep working through ``LEGACY_ENV_NAMES``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

RuntimeName = Literal["onnxruntime", "paddle", "torch"]
DeviceName = Literal["auto", "cpu", "cuda"]
LineOrientationMode = Literal["off", "verify", "trust"]

ENV_PREFIX = "OCRFLOW_"
ENV_NESTED_DELIMITER = "__"


class _Group(BaseModel):
    """One group of settings: frozen, and unknown names are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelSettings(_Group):
    """Which models read the pages, and where downloaded models are kept."""

    set: str = Field(
        "ppocrv6-small",
        description=(
            "Named model set the engine loads: ppocrv6-small (default), ppocrv6-tiny "
            "(faster, less accurate), ppocrv5 or ppocrv4. The own-model settings below "
            "replace single models of the set."
        ),
    )
    det: str | None = Field(
        None,
        description=(
            "Own text detection model instead of the set's: a local path or an s3:// URI "
            "(downloaded once into cache_dir). Empty: the set's model."
        ),
    )
    rec: str | None = Field(
        None,
        description=(
            "Own text recognition model instead of the set's: a local path or an s3:// URI. "
            "Give charset too when the model does not carry its dictionary in its metadata."
        ),
    )
    charset: str | None = Field(
        None,
        description=(
            "Own recognition dictionary (one character a line), a path or an s3:// URI; it "
            "is preferred to the dictionary in the recognition model's metadata."
        ),
    )
    classifier: str | None = Field(
        None,
        description="Own text line angle (0/180°) classifier model: a path or an s3:// URI.",
    )
    orientation: str | None = Field(
        None,
        description="Own page orientation (0/90/180/270°) model: a path or an s3:// URI.",
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "ocrflow" / "models",
        description=(
            "Folder where models and dictionaries given as s3:// URIs are downloaded once "
            "and reused by later runs."
        ),
    )


class EngineSettings(_Group):
    """How inference runs: which runtime, on which device, with how many threads."""

    runtime: RuntimeName = Field(
        "onnxruntime",
        description=(
            "Inference runtime plug: onnxruntime (default, CPU or CUDA), torch (the ONNX "
            "graphs run by PyTorch, float16 on CUDA) or paddle (the optional paddle extra)."
        ),
    )
    device: DeviceName = Field(
        "auto",
        description=(
            "auto: CUDA when the runtime has it, else CPU; cpu: always the CPU; cuda: the "
            "GPU, and an error when the runtime has no CUDA."
        ),
    )
    threads: int = Field(
        0,
        ge=0,
        description=(
            "Threads per inference call. 0: one per call when several lanes run at once, "
            "else the runtime's default."
        ),
    )
    lanes: int = Field(
        0,
        ge=0,
        description=(
            "Inference calls one engine runs at once on the CPU, each on its own thread "
            "(pages side by side, recognition batches spread): 0: one per core. Runtimes "
            "that cannot run calls concurrently always use one."
        ),
    )
    memory_arena: bool = Field(
        True,
        description=(
            "ONNX Runtime's CPU memory arena: about 25% less CPU time for about 200 MB "
            "more peak memory (RSS). Turn off on small-memory workers."
        ),
    )
    half_precision: bool = Field(
        True,
        description=(
            "With runtime torch on CUDA: run under float16 autocast (faster, less GPU "
            "memory). CPU runs always stay float32."
        ),
    )
    layout_megapixels: float = Field(
        12.0,
        ge=0,
        description=(
            "Pages laid out (oriented, detected, cut) at once in the lanes hold at most this "
            "many million pixels together; a larger page waits for the lanes to empty. Two "
            "300 dpi A4 pages (8.7 MP each) at once cost 0.4 GB more than one. 0: no limit."
        ),
    )
    arena_shrink: bool = Field(
        True,
        description=(
            "With the CPU memory arena on: hand the arena's free memory back to the system "
            "after each inference call. Without it the arena keeps a region for every new "
            "mix of page and batch sizes, and peak RSS grows with the documents an engine "
            "call reads (1.2 GB after detecting 40 receipts); the cost is about 2% CPU."
        ),
    )
    mmap_threshold_kib: int = Field(
        1024,
        ge=0,
        le=32 * 1024,
        description=(
            "Memory blocks of at least this many KiB (page images, the arena's regions) are "
            "returned to the system when freed: glibc's M_MMAP_THRESHOLD, fixed when an "
            "engine starts. 0: glibc's own, which rises to 32 MB and then keeps freed pages "
            "resident in a fragmented heap (peak RSS growing with the documents read)."
        ),
    )
    recycle_chunks: int = Field(
        0,
        ge=0,
        description=(
            "A long-lived worker loads its models afresh after reading this many chunks, "
            "returning what the runtime accumulated (GPU memory, shape caches); 0: never."
        ),
    )


class DecodingSettings(_Group):
    """How files become page images, and which files are refused before decoding."""

    pdf_dpi: int = Field(
        200,
        ge=36,
        le=1200,
        description="Resolution (dots per inch) at which PDF pages are rendered to images.",
    )
    pdf_text: Literal["auto", "ocr", "text"] = Field(
        "auto",
        description=(
            "PDF pages born digital: auto: a page whose text layer is usable (enough visible, "
            "printable characters, not one scanned image) is read from it, with confidence "
            "1.0, and other pages are OCR'd; ocr: every page is rendered and OCR'd; text: "
            "never OCR, every page is read from its text layer (a page without one is empty)."
        ),
    )
    max_page_pixels: int = Field(
        80_000_000,
        gt=0,
        description=(
            "Pages (images, or rendered PDF pages) with more pixels than this are refused "
            "before decoding, bounding memory for hostile or huge inputs."
        ),
    )
    max_pages: int = Field(
        1000, gt=0, description="Documents with more pages than this are refused."
    )
    max_file_bytes: int = Field(
        512 * 1024 * 1024,
        gt=0,
        description="Files larger than this many bytes are refused without being read.",
    )


class DetectionSettings(_Group):
    """Text detection: page scaling, and the thresholds that turn the model's map into boxes."""

    max_side: int = Field(
        1600,
        ge=64,
        description=(
            "Pages are shrunk so that their longer side is at most this many pixels before "
            "detection (larger: small print found better, slower)."
        ),
    )
    min_side: int = Field(
        0,
        ge=0,
        description=(
            "Small images are enlarged so that their shorter side is at least this many "
            "pixels before detection; 0: never enlarged."
        ),
    )
    thresh: float | None = Field(
        None,
        description=(
            "Probability above which a pixel of the detection map counts as text; empty: "
            "the model set's default."
        ),
    )
    box_thresh: float | None = Field(
        None,
        description=(
            "Mean probability a candidate box needs to be kept as a text line; empty: the "
            "model set's default."
        ),
    )
    unclip_ratio: float | None = Field(
        None,
        description=(
            "How far detected boxes are expanded around the text (larger: looser boxes); "
            "empty: the model set's default."
        ),
    )
    max_candidates: int = Field(
        1000,
        gt=0,
        description="At most this many candidate boxes are taken from one page's map.",
    )


class OrientationSettings(_Group):
    """Turned pages (90/180/270°) and upside-down lines (180°)."""

    page: bool = Field(
        True,
        description=(
            "Detect pages scanned turned by 90, 180 or 270° and turn them upright before "
            "detection (one extra model call per page)."
        ),
    )
    page_min_confidence: float = Field(
        0.8,
        ge=0,
        le=1,
        description=(
            "A page is turned only when the orientation model is at least this confident; "
            "below it the page is read as it is."
        ),
    )
    line: LineOrientationMode = Field(
        "verify",
        description=(
            "off: never flip lines; verify: flip a line the classifier calls 180° only when "
            "the flipped reading is more confident; trust: flip whatever the classifier says."
        ),
    )
    cls_thresh: float = Field(
        0.9,
        ge=0,
        le=1,
        description=(
            "The line classifier's probability for 180° needed before a line counts as "
            "upside down (line verify or trust)."
        ),
    )
    cls_batch_size: int = Field(64, gt=0, description="Line crops per line angle classifier call.")


class RecognitionSettings(_Group):
    """Text recognition: how line crops are batched."""

    batch_size: int = Field(32, gt=0, description="Line crops per recognition call.")
    batch_width_budget: int = Field(
        4096,
        ge=0,
        description=(
            "Summed padded width (px) of the lines in the recognition batches running at once "
            "(shared by the lanes): wide lines go in smaller batches, which bounds peak memory "
            "on large pages. 0: batch_size only."
        ),
    )
    short_line_width: int = Field(
        160,
        ge=0,
        description=(
            "A line whose text fits this width (px at height 48) is padded to it, not to "
            "PaddleOCR's 320: recognition 20% faster on SROIE/FUNSD (ocrflow bench). 0: off."
        ),
    )
    flush_lines: int = Field(
        2048,
        gt=0,
        description=(
            "Recognise the pending line crops once this many have been cut (across the "
            "documents of one call), bounding the memory they hold."
        ),
    )
    queue_mib: int = Field(
        64,
        gt=0,
        description=(
            "Recognise the pending line crops once their pixels take this many MiB (or "
            "flush_lines have been cut, whichever comes first): the memory budget of the "
            "lines waiting across documents, which would otherwise grow with long documents "
            "(a 300 dpi A4 page cuts 10-20 MiB of crops)."
        ),
    )


class RecordSettings(_Group):
    """What is kept of the recognised text."""

    min_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "Lines recognised with less confidence than this are not kept: stored marked "
            "so, counted per page, left out of line queries unless a query gives its own "
            "threshold; a document type or a flow parameter may set its own."
        ),
    )


class FieldSettings(_Group):
    """How fields are found in the recognised lines."""

    locale: str | None = Field(
        None,
        description=(
            "How documents write amounts and dates and which languages their labels are in "
            "(de-DE, fr-FR, en-US, en-MY, auto: any supported one, decided by shape); "
            "empty: each document type's own. A flow parameter or --locale may set its own."
        ),
    )
    scorer: Literal["auto", "rules"] = Field(
        "auto",
        description=(
            "auto: a document type's fitted field model when it has one (ocrflow fields "
            "fit), else its rules; rules: the hand rules only, whatever model there is."
        ),
    )


class StorageSettings(_Group):
    """Where results are stored."""

    database_url: str = Field(
        "sqlite:///ocrflow.db",
        description=(
            "SQLAlchemy URL of the results database: a SQLite file (sqlite:///path.db) or "
            "PostgreSQL (postgresql+psycopg://user:password@host/db)."
        ),
    )


#: The flat environment names of earlier releases, each the ``group.field`` it sets.
#: A nested name (``OCRFLOW_ENGINE__THREADS``) wins over its flat alias when both are set.
LEGACY_ENV_NAMES: dict[str, str] = {
    "OCRFLOW_MODEL_SET": "models.set",
    "OCRFLOW_DET_MODEL": "models.det",
    "OCRFLOW_REC_MODEL": "models.rec",
    "OCRFLOW_REC_CHARSET": "models.charset",
    "OCRFLOW_CLS_MODEL": "models.classifier",
    "OCRFLOW_ORIENTATION_MODEL": "models.orientation",
    "OCRFLOW_MODEL_CACHE_DIR": "models.cache_dir",
    "OCRFLOW_RUNTIME": "engine.runtime",
    "OCRFLOW_DEVICE": "engine.device",
    "OCRFLOW_THREADS": "engine.threads",
    "OCRFLOW_LANES": "engine.lanes",
    "OCRFLOW_MEMORY_ARENA": "engine.memory_arena",
    "OCRFLOW_HALF_PRECISION": "engine.half_precision",
    "OCRFLOW_ENGINE_RECYCLE_CHUNKS": "engine.recycle_chunks",
    "OCRFLOW_ARENA_SHRINK": "engine.arena_shrink",
    "OCRFLOW_LAYOUT_MEGAPIXELS": "engine.layout_megapixels",
    "OCRFLOW_MMAP_THRESHOLD_KIB": "engine.mmap_threshold_kib",
    "OCRFLOW_PDF_DPI": "decoding.pdf_dpi",
    "OCRFLOW_PDF_TEXT": "decoding.pdf_text",
    "OCRFLOW_MAX_PAGE_PIXELS": "decoding.max_page_pixels",
    "OCRFLOW_MAX_PAGES": "decoding.max_pages",
    "OCRFLOW_MAX_FILE_BYTES": "decoding.max_file_bytes",
    "OCRFLOW_DET_MAX_SIDE": "detection.max_side",
    "OCRFLOW_DET_MIN_SIDE": "detection.min_side",
    "OCRFLOW_DET_THRESH": "detection.thresh",
    "OCRFLOW_DET_BOX_THRESH": "detection.box_thresh",
    "OCRFLOW_DET_UNCLIP_RATIO": "detection.unclip_ratio",
    "OCRFLOW_DET_MAX_CANDIDATES": "detection.max_candidates",
    "OCRFLOW_PAGE_ORIENTATION": "orientation.page",
    "OCRFLOW_PAGE_ORIENTATION_MIN_CONFIDENCE": "orientation.page_min_confidence",
    "OCRFLOW_LINE_ORIENTATION": "orientation.line",
    "OCRFLOW_CLS_THRESH": "orientation.cls_thresh",
    "OCRFLOW_CLS_BATCH_SIZE": "orientation.cls_batch_size",
    "OCRFLOW_REC_BATCH_SIZE": "recognition.batch_size",
    "OCRFLOW_REC_BATCH_WIDTH_BUDGET": "recognition.batch_width_budget",
    "OCRFLOW_REC_SHORT_LINE_WIDTH": "recognition.short_line_width",
    "OCRFLOW_REC_FLUSH_LINES": "recognition.flush_lines",
    "OCRFLOW_REC_QUEUE_MIB": "recognition.queue_mib",
    "OCRFLOW_MIN_CONFIDENCE": "records.min_confidence",
    "OCRFLOW_DATABASE_URL": "storage.database_url",
}


class LegacyEnvSource(PydanticBaseSettingsSource):
    """The flat ``OCRFLOW_<FIELD>`` names of ``LEGACY_ENV_NAMES``, read as the nested
    ``{group: {field: value}}`` they stand for (matched ignoring case, as pydantic-settings
    matches names). It comes after the nested environment source, so that
    ``OCRFLOW_<GROUP>__<FIELD>`` wins over the flat alias of the same field."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ reads the aliases by their own names, not per field.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        environment = {name.upper(): value for name, value in os.environ.items()}
        values: dict[str, dict[str, Any]] = {}
        for name, path in LEGACY_ENV_NAMES.items():
            if name in environment:
                group, field = path.split(".")
                values.setdefault(group, {})[field] = environment[name]
        return values


def _group(group: type[BaseModel]) -> Any:
    """A group field of OcrSettings: the group's defaults, and its docstring as the
    field's description (the title of the group's table in the settings reference)."""
    return Field(default_factory=group, description=group.__doc__)


class OcrSettings(BaseSettings):
    """Engine settings, grouped by concern.

    Each field can be set in the environment as ``OCRFLOW_<GROUP>__<FIELD>``
    (``OCRFLOW_ENGINE__THREADS=4``), or by its flat name of earlier releases
    (``OCRFLOW_THREADS=4``, see ``LEGACY_ENV_NAMES``); when both are set, the nested name
    wins. Keyword arguments win over both. For a copy with some fields changed (CLI flags,
    flow parameters), use ``with_overrides``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        frozen=True,
        extra="forbid",
    )

    models: ModelSettings = _group(ModelSettings)
    engine: EngineSettings = _group(EngineSettings)
    decoding: DecodingSettings = _group(DecodingSettings)
    detection: DetectionSettings = _group(DetectionSettings)
    orientation: OrientationSettings = _group(OrientationSettings)
    recognition: RecognitionSettings = _group(RecognitionSettings)
    records: RecordSettings = _group(RecordSettings)
    fields: FieldSettings = _group(FieldSettings)
    storage: StorageSettings = _group(StorageSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win, field by field: keyword arguments, then the nested
        # environment names, then their flat legacy aliases.
        return (
            init_settings,
            env_settings,
            LegacyEnvSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Self:
        """A validated copy with the fields named by dotted paths (``"engine.threads"``)
        set to the given values; the environment is not read again. An unknown path is a
        ``ValueError``; so is a value the field refuses (pydantic's ``ValidationError``)."""
        data = self.model_dump()
        for path, value in overrides.items():
            group, _, name = path.partition(".")
            group_field = type(self).model_fields.get(group)
            group_type = group_field.annotation if group_field is not None else None
            if not (
                isinstance(group_type, type)
                and issubclass(group_type, BaseModel)
                and name in group_type.model_fields
            ):
                raise ValueError(f"unknown setting {path!r}: give group.field, e.g. engine.threads")
            data[group][name] = value
        return self.model_validate(data)


def settings_with(overrides: Mapping[str, Any]) -> OcrSettings:
    """Settings from the environment with the given ``group.field`` overrides on top."""
    return OcrSettings().with_overrides(overrides)
