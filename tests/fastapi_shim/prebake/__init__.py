"""A stand-in `prebake` that re-exports FastAPI's names, so that one app
source runs under FastAPI too (tests/python/test_fastapi_differential.py)."""

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    Security,
    UploadFile,
)
from fastapi import FastAPI as App
from fastapi.exceptions import RequestValidationError
from fastapi import status
from fastapi.responses import JSONResponse
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

__all__ = [
    "APIRouter",
    "App",
    "BackgroundTasks",
    "BaseHTTPMiddleware",
    "Body",
    "CORSMiddleware",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "GZipMiddleware",
    "HTTPSRedirectMiddleware",
    "HTTPException",
    "Header",
    "JSONResponse",
    "Middleware",
    "Path",
    "Query",
    "Request",
    "RequestValidationError",
    "Response",
    "Security",
    "UploadFile",
    "status",
    "TrustedHostMiddleware",
]
