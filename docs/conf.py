import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "wagtail-stripe-checkout"
author = "wagtail-stripe-checkout contributors"
copyright = "2026, wagtail-stripe-checkout contributors"

extensions = ["myst_parser"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "wagtail-stripe-checkout"
