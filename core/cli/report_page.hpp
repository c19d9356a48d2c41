// The built-in parts of the report page: its stylesheet and drawing code (cli/report/), embedded
// at build time by tools/embed_text.py.
#pragma once

#include "cli/report_page_css.hpp"
#include "cli/report_page_js.hpp"
