"""Any site described in the config with CSS selectors (`[source.selectors]`)."""

from . import Profile

PROFILE = Profile(
    name="generic",
    soft_404_markers=("404 Not Found", "Page not found"),
)
