"""ocrflow's one settings object: defaults here, overridden by OCRFLOW_* variables,
flow parameters and CLI flags (in that order)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

RuntimeName = Literal["onnxruntime", "paddle", "torch"]
DeviceName = Literal["auto", "cpu", "cuda"]
LineOrientationMode = Literal["off", "verify", "trust"]


class OcrSettings(BaseSettings):
    """Engine settings. Every field can be set as OCRFLOW_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="OCRFLOW_", frozen=True, extra="forbid")

    # Models and runtime
    model_set: str = Field(
        "ppocrv6-small",
        description="Named model set: ppocrv6-small, ppocrv6-tiny, ppocrv5, ppocrv4.",
    )
    runtime: RuntimeName = Field("onnxruntime", description="Inference runtime plug.")
    device: DeviceName = Field("auto", description="cuda when the runtime has it, else cpu.")
    det_model: str | None = Field(None, description="Own detection model: path or s3:// URI.")
    rec_model: str | None = Field(None, description="Own recognition model: path or s3:// URI.")
    rec_charset: str | None = Field(None, description="Own recognition dictionary file.")
    cls_model: str | None = Field(None, description="Own line angle classifier model.")
    orientation_model: str | None = Field(None, description="Own page orientation model.")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "ocrflow" / "models",
        description="Where models given as s3:// URIs are downloaded once.",
    )
    threads: int = Field(
        0,
        ge=0,
        description="Threads per inference call; 0: one per lane, or the runtime default.",
    )
    lanes: int = Field(
        0,
        ge=0,
        description=(
            "Inference calls one engine runs at once on the CPU, each on its own thread "
            "(pages side by side, recognition batches spread): 0: one per core."
        ),
    )
    engine_recycle_chunks: int = Field(
        0,
        ge=0,
        description=(
            "A long-lived worker loads its models afresh after reading this many chunks, "
            "returning what the runtime accumulated (GPU memory, shape caches); 0: never."
        ),
    )
    memory_arena: bool = Field(
        True,
        description="ONNX Runtime CPU memory arena: ~25% less CPU time, ~200 MB more peak RSS.",
    )
    half_precision: bool = Field(
        True,
        description="runtime=torch on CUDA: float16 autocast (CPU runs stay float32).",
    )

    # Decoding
    pdf_dpi: int = Field(200, ge=36, le=1200, description="Rendering resolution for PDF pages.")
    max_page_pixels: int = Field(
        80_000_000, gt=0, description="Pages with more pixels are refused before decoding."
    )
    max_pages: int = Field(1000, gt=0, description="Documents with more pages are refused.")
    max_file_bytes: int = Field(512 * 1024 * 1024, gt=0, description="Larger files are refused.")

    # Detection
    det_max_side: int = Field(
        1600, ge=64, description="Pages are shrunk so their longer side is at most this."
    )
    det_min_side: int = Field(
        0, ge=0, description="Small images are enlarged so their shorter side is at least this."
    )
    det_thresh: float | None = Field(None, description="Pixel threshold; None: model default.")
    det_box_thresh: float | None = Field(None, description="Box score threshold; None: default.")
    det_unclip_ratio: float | None = Field(None, description="Box expansion; None: default.")
    det_max_candidates: int = Field(1000, gt=0)

    # Orientation
    page_orientation: bool = Field(True, description="Detect and undo 90/180/270° page scans.")
    page_orientation_min_confidence: float = Field(0.8, ge=0, le=1)
    line_orientation: LineOrientationMode = Field(
        "verify",
        description=(
            "off: never flip lines; verify: flip a line the classifier calls 180° only when "
            "the flipped reading is more confident; trust: flip whatever the classifier says."
        ),
    )
    cls_thresh: float = Field(0.9, ge=0, le=1)
    cls_batch_size: int = Field(64, gt=0)

    # Records and storage
    min_confidence: float = Field(
        0.5, ge=0, le=1, description="Lines below this confidence are dropped (counted per page)."
    )
    database_url: str = Field(
        "sqlite:///ocrflow.db", description="SQLAlchemy URL: SQLite file or postgresql+psycopg."
    )

    # Recognition
    rec_batch_size: int = Field(32, gt=0, description="Line crops per recognition call.")
    rec_batch_width_budget: int = Field(
        4096,
        ge=0,
        description=(
            "Summed padded width (px) of the lines in the recognition batches running at once "
            "(shared by the lanes): wide lines go in smaller batches, which bounds peak memory "
            "on large pages. 0: rec_batch_size only."
        ),
    )
    rec_short_line_width: int = Field(
        160,
        ge=0,
        description=(
            "A line whose text fits this width (px at height 48) is padded to it, not to "
            "PaddleOCR's 320: recognition 20% faster on SROIE/FUNSD (ocrflow bench). 0: off."
        ),
    )
    rec_flush_lines: int = Field(
        2048, gt=0, description="Recognise pending crops once this many have been cut."
    )
