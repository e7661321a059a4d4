"""The sandbox world as a directory of people for the sandbox identity provider: each person's
name, registered mobile (the world's `people.mobile`) and photo reference (a deterministic hash
of the resident ID, `identity.adapters.photo_ref`). The data hub sits above identity, so it
implements identity's `PeopleDirectory`; the application wires it in (app.py)."""

from __future__ import annotations

from puhui.identity.adapters import RegisteredPerson, photo_ref


class WorldDirectory:
    def __init__(self, names: list[str], resident_ids: list[str], mobiles: list[str]) -> None:
        self._by_id = {r: (n, m) for n, r, m in zip(names, resident_ids, mobiles, strict=True)}

    def lookup(self, resident_id: str) -> RegisteredPerson | None:
        found = self._by_id.get(resident_id)
        if found is None:
            return None
        return RegisteredPerson(found[0], found[1], photo_ref(resident_id))


def world_directory() -> WorldDirectory:
    """The default sandbox world's people (generated on first use, then cached)."""
    from puhui.datahub.sandbox import default_world

    people = default_world().people
    return WorldDirectory(
        people["name"].to_list(), people["resident_id"].to_list(), people["mobile"].to_list()
    )
