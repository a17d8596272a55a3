"""Moving one row of a numbered list (``order`` 1, 2, 3, ...) a place up or down."""


def order_swap_with_neighbour(rows: list, index: int, *, up: bool) -> None:
    """Swap ``rows[index]`` with its neighbour above (``up``) or below, then number the list 1, 2, 3,
    ... again, saving each row whose ``order`` changes. At either end nothing moves. The caller
    holds the rows' locks and passes them in their current order."""
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for order, row in enumerate(rows, start=1):
        if row.order != order:
            row.order = order
            row.save(update_fields=["order", "updated_at"])
