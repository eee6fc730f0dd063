"""Routes under `/api/admin`, guarded by a router-level dependency."""

from typing import Annotated

from prebake import APIRouter, Header, HTTPException

router = APIRouter()


def require_admin(x_role: Annotated[str | None, Header()] = None) -> None:
    if x_role != "admin":
        raise HTTPException(403, "admins only")


@router.get("/stats")
def stats() -> dict[str, int]:
    return {"users": 2}
