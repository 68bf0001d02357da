"""Any site described in the config with CSS selectors (`[source.selectors]`): `body` is
required; `links`/`link_pattern`, `index_next`, `title`, `date`, `next` and `drop` as needed.
A transcript on one page needs no `next`; one over several pages names its next-page link."""

from . import Profile

PROFILE = Profile(
    name="generic",
    # Inside a transcript body these are never spoken text, on any site.
    drop_selectors=("aside", "footer"),
    soft_404_markers=("404 Not Found", "Page not found", "页面不存在"),
)
