"""A post (岗位) on a using unit's operator ledger against the item its certificate names: the campaign's
作业项目与岗位不符 ("the certificate's item does not fit the post").

What each post needs is data (`posts.yaml`): catalogue categories or items of the certificate kinds. A
certificate fits when its item, or the category the item belongs to, is one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from ocr.normalise import to_half_width
from verification.kinds import Kind

POSTS_FILE = Path(__file__).with_name("posts.yaml")


def post_key(text: str) -> str:
    """A post or catalogue name as compared: half-width, without spaces."""
    return "".join(to_half_width(text).split())


@dataclass(frozen=True)
class PostTable:
    needs: Mapping[str, frozenset[str]]  # post → the categories and items that fit it
    category_of: Mapping[str, str]  # catalogue item (or category) → its category

    def mismatch(self, post: str, item: str | None) -> bool | None:
        """True when `item` fits none of what `post` needs; None when the post is not in the table or
        there is no item to judge (an operator without a certificate is 无证, not mismatched)."""
        needs = self.needs.get(post_key(post))
        if needs is None or not item:
            return None
        item = post_key(item)
        return item not in needs and self.category_of.get(item) not in needs

    def unknown_names(self) -> set[str]:
        """Names in the table that no kind's catalogue has: typos a test catches."""
        return {name for needs in self.needs.values() for name in needs} - set(self.category_of)


def load_posts(kinds: Mapping[str, Kind], path: Path = POSTS_FILE) -> PostTable:
    category_of = {}
    for kind in kinds.values():
        for entry in kind.data["catalogue"]:
            category = post_key(entry["category"])
            category_of[category] = category
            for item in entry.get("items", []):
                category_of[post_key(item["name"])] = category
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    needs = {post_key(post): frozenset(post_key(name) for name in names) for post, names in table.items()}
    return PostTable(needs, category_of)
