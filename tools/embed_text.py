#!/usr/bin/env python3
"""Embed a text file as a C++ constant: embed_text.py INPUT OUTPUT NAME (used by meson)."""
import sys

src, dst, name = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
delimiter = "MLPS_EMBED"
if ")" + delimiter + '"' in text:
    sys.exit(f"{src} contains the raw-string delimiter {delimiter}")
with open(dst, "w", encoding="utf-8") as f:
    f.write(f"// Generated from {src} by tools/embed_text.py; do not edit.\n#pragma once\n")
    f.write(f'inline constexpr const char {name}[] = R"{delimiter}({text}){delimiter}";\n')
