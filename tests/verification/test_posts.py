"""Posts (岗位) against certificate items: the table's names exist, and the judgement's three answers."""

from __future__ import annotations

import pytest

from verification.kinds import load_kinds
from verification.posts import load_posts

POSTS = load_posts(load_kinds())


def test_every_name_in_the_post_table_is_in_a_kinds_catalogue():
    assert POSTS.unknown_names() == set()


@pytest.mark.parametrize(("post", "item", "mismatch"), [
    ("电工", "低压电工作业", False),  # an item of the category the post needs
    ("电 工", "建筑电工", False),  # a construction 工种 named directly; spaces do not matter
    ("塔吊司机", "建筑起重机械司机（塔式起重机）", False),  # full-width brackets as printed
    ("电工", "叉车司机", True),
    ("焊工", "不存在的作业", True),  # an item no catalogue has fits nothing
    ("厨师", "叉车司机", None),  # a post the table does not know is not judged
    ("电工", None, None),  # no certificate: 无证, not a mismatch
])
def test_an_item_fits_a_post_by_itself_or_by_its_category(post, item, mismatch):
    assert POSTS.mismatch(post, item) is mismatch
