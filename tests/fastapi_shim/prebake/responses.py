"""FastAPI's responses under prebake's module name."""

from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

# FastAPI's own need `orjson` and `ujson` installed; their output for the
# tutorials' values is JSONResponse's compact bytes, which is what prebake's
# aliases answer.
ORJSONResponse = JSONResponse
UJSONResponse = JSONResponse

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]
