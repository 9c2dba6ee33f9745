"""Who is signed in to the console, and what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    role: str  # "community" or "admin"
    community_code: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, community_code: str | None) -> bool:
        """Community staff see their own community; admins of the street or district all."""
        return self.is_admin or (community_code is not None
                                 and community_code == self.community_code)


def current_staff(request: Request) -> StaffUser:
    raise NotImplementedError("console sign-in is being built")
