from __future__ import annotations

from customerbase.kit.errors import Conflict, NotFound


class ScreeningHitNotFound(NotFound):
    error_type = "screening_hit_not_found"


class NoOpenScreeningHit(Conflict):
    error_type = "no_open_screening_hit"


class ScreeningHitAlreadyReviewed(Conflict):
    error_type = "screening_hit_already_reviewed"
