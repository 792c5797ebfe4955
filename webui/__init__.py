"""The portal shell: base templates, shared macros and static assets (DESIGN.md §2)."""
