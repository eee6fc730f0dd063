"""FastAPI's encoders under prebake's module name."""

from fastapi.encoders import jsonable_encoder

__all__ = ["jsonable_encoder"]
