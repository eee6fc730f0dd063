"""Routes under `/api/items`."""

from typing import Annotated

from prebake import APIRouter, Depends

from deps import current_user

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/{item_id}")
def get_item(item_id: int, user: Annotated[str, Depends(current_user)]) -> dict[str, str]:
    return {"item": str(item_id), "user": user}


@router.get("")
def list_items() -> list[str]:
    return ["a", "b"]
