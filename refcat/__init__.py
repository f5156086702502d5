"""refcat: referring expressions for video object segmentation (after Bellver et al., RefVOS)."""

__version__ = "0.1.0"
