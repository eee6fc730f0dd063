"""`CompressionMiddleware` (prebake's own: zstd, brotli and gzip)."""

from prebake._middleware import CompressionMiddleware

__all__ = ["CompressionMiddleware"]
